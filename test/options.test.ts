// Options as a user gets them wrong: misspelt keys, a non-function body, and settings that differ
// from the existing object's. Each fails loudly with a typed error, before anything is taken.
import test from 'ava';
import { LockManager, NamedEvent, RwLock, SharedMemory } from 'interlocked';
import { runLocked } from 'interlocked/piscina';
import { Agent } from './helpers/agent.js';
import { uniqueName, unlinkAll } from './helpers/names.js';

const name = uniqueName('options');
test.after.always(() => unlinkAll(name));

// Every options object of the public API, with one misspelt key (what a user types).
const misspelt: Record<string, () => unknown> = {
  'RwLock.open': () => RwLock.open(name, { maxProcess: 4 } as never),
  'RwLock.unlink': () => RwLock.unlink(name, { scop: 'local' } as never),
  'SharedMemory.open': () => SharedMemory.open(name, { size: 64, crate: false } as never),
  'SharedMemory.unlink': () => SharedMemory.unlink(name, { global: true } as never),
  'NamedEvent.open': () => NamedEvent.open(name, { manualRest: false } as never),
  'NamedEvent.unlink': () => NamedEvent.unlink(name, { Scope: 'local' } as never),
  'RwLock#read': () => RwLock.open(name).read({ timout: 10 } as never),
  'RwLock#write': () => RwLock.open(name).write({ signl: undefined } as never),
  'RwLock#withRead': () => RwLock.open(name).withRead(() => 1, { timeOut: 5 } as never),
  'RwLock#withWrite': () => RwLock.open(name).withWrite(() => 1, { deadline: 5 } as never),
  'NamedEvent#wait': () => NamedEvent.open(name).wait({ timeoutMs: 5 } as never),
  'new LockManager': () => new LockManager({ prefx: 'a.' } as never),
  'LockManager#request': () => new LockManager().request('x', { ifAvailible: true } as never, () => 1),
  'runLocked options': () =>
    runLocked({ run: async () => 1 }, { lock: name, mode: 'read', data: 0 }, { whileheld: 'signal' } as never),
  'runLocked spec': () => runLocked({ run: async () => 1 }, { lock: name, mode: 'read', data: 0, timout: 5 } as never),
  'runLocked spec.memory': () =>
    runLocked({ run: async () => 1 }, { lock: name, mode: 'read', data: 0, memory: { name, sise: 8 } } as never),
};

for (const [where, call] of Object.entries(misspelt)) {
  test(`a misspelt option of ${where} is a TypeError ERR_INVALID_ARG_VALUE that names the key`, async (t) => {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    t.true(error instanceof TypeError);
    t.like(error, { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    t.regex((error as Error).message, /unknown key "\w+"/);
  });
}

test('the known keys still pass, and inherited properties are not options', async (t) => {
  const lock = RwLock.open(name, { scope: 'local', mode: 0o600 });
  t.teardown(() => lock.close());
  const options = Object.create({ inherited: true }) as { timeout: number };
  options.timeout = 100;
  await t.notThrowsAsync(async () => (await lock.write(options)).release());
  await t.notThrowsAsync(async () => (await lock.read({ timeout: undefined, signal: undefined })).release());
});

for (const body of [42, 'text', null, undefined, {}]) {
  test(`withWrite(${JSON.stringify(body) ?? 'undefined'}) is ERR_INVALID_ARG_TYPE and takes no lock`, async (t) => {
    const name = uniqueName('withbody');
    t.teardown(() => unlinkAll(name));
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const other = await Agent.start();
    t.teardown(() => other.stop());
    await other.call('acquire', { lock: name, mode: 'read', key: 'r' });
    // It would wait for the reader to leave if it took the lock first.
    const started = performance.now();
    await t.throwsAsync(lock.withWrite(body as never), {
      code: 'ERR_INVALID_ARG_TYPE',
      message: /"fn" argument must be of type function/,
    });
    await t.throwsAsync(lock.withRead(body as never), { code: 'ERR_INVALID_ARG_TYPE' });
    t.true(performance.now() - started < 100, 'rejected at once');
    t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
    await other.call('release', { key: 'r' });
    t.deepEqual(lock.inspect().readers, []);
  });
}

test('maxProcesses that differs from the existing lock is ERR_INCOMPATIBLE (in this process and another)', async (t) => {
  const lockName = uniqueName('maxproc');
  t.teardown(() => unlinkAll(lockName));
  const agent = await Agent.start();
  t.teardown(() => agent.stop());
  await agent.call('open', { lock: lockName, options: { maxProcesses: 4 } });
  t.throws(() => RwLock.open(lockName, { maxProcesses: 8 }), { code: 'ERR_INCOMPATIBLE', message: /4 process slots/ });
  const same = RwLock.open(lockName, { maxProcesses: 4 });
  t.teardown(() => same.close());
  t.is(same.inspect().maxProcesses, 4);
  t.throws(
    () => RwLock.open(lockName, { maxProcesses: 64 }),
    { code: 'ERR_INCOMPATIBLE' },
    'nor in the process that has it open',
  );
  const any = RwLock.open(lockName);
  t.teardown(() => any.close());
  t.is(any.inspect().maxProcesses, 4, 'no maxProcesses: whatever the creator chose');
});

test('manualReset that differs from the existing event is ERR_INCOMPATIBLE; initialState only applies to a new one', (t) => {
  const eventName = uniqueName('evopts');
  t.teardown(() => unlinkAll(eventName));
  const auto = NamedEvent.open(eventName, { manualReset: false, initialState: true });
  t.teardown(() => auto.close());
  t.true(auto.created);
  t.throws(() => NamedEvent.open(eventName, { manualReset: true }), {
    code: 'ERR_INCOMPATIBLE',
    message: /auto-reset/,
  });
  const again = NamedEvent.open(eventName, { manualReset: false, initialState: false });
  t.teardown(() => again.close());
  t.false(again.created, 'it existed: its state is its own');
  t.true(again.isSet());
  const plain = NamedEvent.open(eventName);
  t.teardown(() => plain.close());
  t.false(plain.manualReset, 'no manualReset: whatever the creator chose');
});

test('a lock whose last handle closes on its waiter thread is never opened twice beside itself', async (t) => {
  // maxProcesses: 1 makes a second lock object for the same name in this process visible: it
  // would find the only slot taken by the first one, still being destroyed.
  const lockName = uniqueName('regrace');
  t.teardown(() => unlinkAll(lockName));
  let failures = 0;
  for (let i = 0; i < 300; i++) {
    const lock = RwLock.open(lockName, { maxProcesses: 1 });
    const held = lock.tryWrite()!;
    const waiting = lock.write({ timeout: 1000 }).catch(() => null); // starts the waiter thread
    held.release();
    await waiting.then((g) => g?.release());
    lock.close(); // the waiter thread lingers, and may drop the last reference
    for (let j = 0; j < 20; j++) {
      try {
        RwLock.open(lockName, { maxProcesses: 1 }).close();
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_TOO_MANY_PROCESSES') failures++;
        else throw e;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  t.is(failures, 0);
});
