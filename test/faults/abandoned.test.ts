// A writer that did not release its guard itself died inside, and the next holder is told so
// (guard.abandoned), whichever way it went: a SIGKILLed process, a terminated Worker, an uncaught
// exception or process.exit() in a Worker, a Worker whose event loop ran out, a process that ended.
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { RwLock } from 'interlocked';
import { fixturePath } from '../helpers/agent.js';
import { Snippet } from '../helpers/snippet.js';
import { uniqueName, unlinkAll } from '../helpers/names.js';

const ends = ['terminate', 'throw', 'exit', 'return', 'release'] as const;

for (const mode of ['write', 'read'] as const) {
  for (const end of ends) {
    const abandoned = mode === 'write' && end !== 'release';
    test(`a Worker holding the ${mode} lock that ends by ${end}: the next holder sees abandoned = ${abandoned}`, async (t) => {
      const name = uniqueName(`wab-${mode}-${end}`);
      t.teardown(() => unlinkAll(name));
      const lock = RwLock.open(name);
      t.teardown(() => lock.close());
      const worker = new Worker(fixturePath('worker-holder'), { workerData: { lock: name, mode, end } });
      worker.on('error', () => {}); // the uncaught exception of 'throw' is on purpose
      const exited = new Promise((resolve) => worker.once('exit', resolve)); // once() rejects on 'error'
      await new Promise((resolve) => worker.once('message', resolve));
      if (end === 'terminate') await worker.terminate();
      await exited;
      const guard = await lock.write({ timeout: 3000 });
      t.is(guard.abandoned, abandoned);
      t.is(lock.inspect().abandoned, abandoned);
      if (abandoned) {
        guard.markConsistent();
        guard.release();
        const next = lock.tryWrite()!;
        t.false(next.abandoned, 'markConsistent() clears it for later holders');
        next.release();
      } else {
        guard.release();
      }
    });
  }
}

for (const end of ['return', 'exit', 'SIGKILL'] as const) {
  test(`a process holding the write lock that ends by ${end}: the next holder sees abandoned`, async (t) => {
    const name = uniqueName(`pab-${end}`);
    t.teardown(() => unlinkAll(name));
    // Open before the child does: on Windows a lock that no process has open is gone, and the
    // child may end right after it says it holds the lock.
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const child = new Snippet(`
      import { RwLock } from 'interlocked';
      const guard = await RwLock.open(${JSON.stringify(name)}).write();
      globalThis.keep = guard;
      process.send('held', () => {
        process.channel.unref();
        if (${JSON.stringify(end)} === 'exit') process.exit(0);
        if (${JSON.stringify(end)} === 'SIGKILL') setInterval(() => {}, 1000);
      });
    `);
    t.teardown(() => child.kill());
    t.is(await child.next(), 'held');
    if (end === 'SIGKILL') await child.kill();
    const { code } = await child.result;
    const guard = await lock.write({ timeout: 3000 });
    t.true(guard.abandoned, `exit code ${code}`);
    guard.release();
  });
}

test('a Worker terminated while its write grant is still on its way never entered: not abandoned', async (t) => {
  const name = uniqueName('wab-inflight');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const held = lock.tryWrite()!;
  const worker = new Worker(fixturePath('worker-busy-waiter'), { workerData: { lock: name } });
  await new Promise((resolve) => worker.once('message', resolve));
  while (lock.inspect().waiting.writers === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  held.release();
  // The Worker's waiter thread takes the lock for it; its busy loop never sees the grant.
  while (lock.inspect().writer === null) await new Promise((resolve) => setTimeout(resolve, 5));
  await worker.terminate();
  const guard = await lock.write({ timeout: 3000 });
  t.false(guard.abandoned, 'a grant that never reached the Worker was given back, not abandoned');
  guard.release();
});
