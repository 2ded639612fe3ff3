import test from 'ava';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { RwLock, SharedMemory } from 'interlocked';
import { fixturePath } from './helpers/agent.js';
import { uniqueName, unlinkAll } from './helpers/names.js';

function startWorker(data: Record<string, unknown>): Worker {
  return new Worker(fixturePath('worker-contender'), { workerData: data });
}

test('the main thread and two Workers contend on one lock without losing an update', async (t) => {
  const name = uniqueName('workers');
  t.teardown(() => unlinkAll(name));
  const iterations = 500;
  const memory = SharedMemory.open(name, { size: 4096 });
  const lock = RwLock.open(name);
  t.teardown(() => {
    lock.close();
    memory.close();
  });
  const workers = [0, 1].map(() => startWorker({ lock: name, memory: name, iterations }));
  const done = workers.map((w) => once(w, 'message'));
  for (let i = 0; i < iterations; i++) {
    const guard = await lock.write();
    const value = memory.buffer.readUInt32LE(0);
    await yieldLoop();
    memory.buffer.writeUInt32LE(value + 1, 0);
    guard.release();
  }
  await Promise.all(done);
  await Promise.all(workers.map((w) => w.terminate()));
  t.is(memory.buffer.readUInt32LE(0), 3 * iterations);
});

for (const hold of ['write', 'read'] as const) {
  test(`a Worker terminated while holding the ${hold} lock gives it back`, async (t) => {
    const name = uniqueName(`wterm-${hold}`);
    t.teardown(() => unlinkAll(name));
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const worker = startWorker({ lock: name, hold });
    await once(worker, 'message');
    t.is(lock.tryWrite(), null, 'the Worker holds it');
    const pending = lock.write({ timeout: 2000 });
    await worker.terminate();
    const guard = await pending;
    t.is(guard.mode, 'write');
    t.is(guard.abandoned, hold === 'write', 'a write the Worker never released is reported as abandoned');
    guard.release();
    t.deepEqual(lock.inspect().readers, []);
  });
}

test('a Worker terminated while waiting leaves no request behind', async (t) => {
  const name = uniqueName('wterm-wait');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const held = await lock.write();
  const worker = startWorker({ lock: name, hold: 'wait' });
  await once(worker, 'message');
  while (lock.inspect().waiting.writers === 0) await new Promise((r) => setTimeout(r, 5));
  await worker.terminate();
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
  held.release();
  const again = lock.tryWrite();
  t.truthy(again, 'the terminated Worker was never granted the lock');
  again!.release();
});
