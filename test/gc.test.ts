// The garbage collector never releases anything: a lock whose handle and guard a program dropped
// stays held (like a mutex nobody unlocked) until release(), close(), or the end of its thread or
// process; a wait on a dropped event still completes; a view of a dropped SharedMemory still maps it.
import test from 'ava';
import { LockManager, NamedEvent, RwLock, SharedMemory } from 'interlocked';
import { Snippet } from './helpers/snippet.js';
import { uniqueName, unlinkAll, unlinkPrefix } from './helpers/names.js';

// Runs the garbage collector until finalizers (and Node-API's deferred ones) have had their turn.
const collect = `
  const collect = async () => {
    for (let i = 0; i < 10; i++) {
      globalThis.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };`;

function snippet(code: string): Snippet {
  return new Snippet(code, { nodeArgs: ['--expose-gc'] });
}

for (const mode of ['write', 'read'] as const) {
  test(`a ${mode} guard whose lock and guard are unreachable stays held (single instance)`, async (t) => {
    const name = uniqueName(`gc-${mode}`);
    t.teardown(() => unlinkAll(name));
    // The "single instance" idiom: the locals go out of scope, the process lives on.
    const child = snippet(`
      import { RwLock } from 'interlocked';
      ${collect}
      const finalized = new FinalizationRegistry(() => process.send('collected'));
      function singleInstance() {
        const lock = RwLock.open(${JSON.stringify(name)});
        const guard = lock.${mode === 'write' ? 'tryWrite' : 'tryRead'}();
        if (!guard) process.exit(3);
        finalized.register(guard, 'guard');
      }
      singleInstance();
      await collect();
      process.send('ready');
      setInterval(() => {}, 1000);
    `);
    t.teardown(() => child.kill());
    const messages: unknown[] = [await child.next()];
    if (messages[0] === 'collected') messages.push(await child.next());
    t.true(messages.includes('ready'));
    t.log(messages.includes('collected') ? 'the guard object was collected' : 'the guard object was not collected');
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    t.is(lock.tryWrite(), null, 'a second instance gets nothing: the dropped guard still holds the lock');
    const info = lock.inspect();
    if (mode === 'write') t.is(info.writer?.pid, child.child.pid);
    else
      t.deepEqual(
        info.readers.map((r) => r.pid),
        [child.child.pid],
      );
    // The end of the process is what releases it.
    await child.kill();
    const guard = await lock.write({ timeout: 3000 });
    t.is(guard.abandoned, mode === 'write', 'a dead writer is reported, a dead reader is not');
    guard.release();
  });
}

test('a request of an unreachable lock handle is still granted', async (t) => {
  const name = uniqueName('gc-pending');
  t.teardown(() => unlinkAll(name));
  const holder = RwLock.open(name);
  t.teardown(() => holder.close());
  const held = holder.tryWrite()!;
  const child = snippet(`
    import { RwLock } from 'interlocked';
    ${collect}
    function ask() {
      RwLock.open(${JSON.stringify(name)}).write().then((guard) => process.send({ granted: guard.mode }));
    }
    ask();
    await collect();
    process.send('waiting');
  `);
  t.teardown(() => child.kill());
  t.is(await child.next(), 'waiting');
  held.release();
  t.deepEqual(await child.next(), { granted: 'write' });
});

test('a wait on an unreachable NamedEvent still completes', async (t) => {
  const name = uniqueName('gc-event');
  t.teardown(() => unlinkAll(name));
  const event = NamedEvent.open(name, { manualReset: false });
  t.teardown(() => event.close());
  const child = snippet(`
    import { NamedEvent } from 'interlocked';
    ${collect}
    function wait() {
      NamedEvent.open(${JSON.stringify(name)}).wait().then((result) => process.send({ result }));
    }
    wait();
    await collect();
    process.send('waiting');
  `);
  t.teardown(() => child.kill());
  t.is(await child.next(), 'waiting');
  event.set();
  t.deepEqual(await child.next(), { result: true });
});

test('a view of an unreachable SharedMemory still maps the shared memory', async (t) => {
  const name = uniqueName('gc-memory');
  t.teardown(() => unlinkAll(name));
  const child = snippet(`
    import { SharedMemory } from 'interlocked';
    ${collect}
    const view = (() => SharedMemory.open(${JSON.stringify(name)}, { size: 4096 }).buffer)();
    await collect();
    view.writeUInt32LE(42, 0);
    process.send('written');
    process.once('message', () => process.send({ seen: view.readUInt32LE(4) }));
  `);
  t.teardown(() => child.kill());
  t.is(await child.next(), 'written');
  // On Windows the mapping lives only while some process has it open: the view must keep it open.
  const memory = SharedMemory.open(name, { create: false });
  t.teardown(() => memory.close());
  t.is(memory.buffer.readUInt32LE(0), 42);
  memory.buffer.writeUInt32LE(7, 4);
  child.send('look');
  t.deepEqual(await child.next(), { seen: 7 });
});

test('a LockManager request whose manager and promise are unreachable keeps its lock', async (t) => {
  const prefix = `${uniqueName('gcm')}.`;
  t.teardown(() => unlinkPrefix(prefix));
  const child = snippet(`
    import { LockManager } from 'interlocked';
    ${collect}
    function forever() {
      new LockManager({ prefix: ${JSON.stringify(prefix)} }).request('job', () => new Promise(() => {}));
    }
    forever();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await collect();
    process.send('ready');
    setInterval(() => {}, 1000);
  `);
  t.teardown(() => child.kill());
  t.is(await child.next(), 'ready');
  const manager = new LockManager({ prefix });
  t.is(await manager.request('job', { ifAvailable: true }, (lock) => lock), null, 'the callback still holds it');
  await child.kill();
  t.like(await manager.request('job', { timeout: 3000 }, (lock) => lock), { name: 'job', mode: 'exclusive' });
});
