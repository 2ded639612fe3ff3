import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Piscina } from 'piscina';
import { InterlockError, LockTimeoutError, RwLock, SharedMemory } from 'interlocked';
import { lockedPool, lockedTask, runLocked, type LockedTaskSpec } from 'interlocked/piscina';
import type { TaskData, TaskResult } from './fixtures/piscina-task.js';
import { fixturePath } from './helpers/agent.js';
import { int32View, sleep, uniqueName, unlinkAll } from './helpers/names.js';

type Task = typeof import('./fixtures/piscina-task.js').default;

function makePool(t: ExecutionContext, threads: number): Piscina {
  // minThreads 0: Piscina starts no replacement Worker eagerly after a termination. Terminating a
  // Worker while it is still loading its ES modules trips an assertion in Node 20 itself
  // (CreateRequiredModuleFacade) and aborts the process, which the teardown's destroy() could do.
  const pool = new Piscina({ filename: fixturePath('piscina-task'), minThreads: 0, maxThreads: threads });
  t.teardown(() => pool.destroy());
  return pool;
}

/** A lock and a 4 KiB memory under one fresh name, opened in the main thread too. */
function setup(t: ExecutionContext, prefix: string) {
  const name = uniqueName(prefix);
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  const memory = SharedMemory.open(name, { size: 4096 });
  t.teardown(() => {
    lock.close();
    memory.close();
  });
  return { name, lock, memory, words: int32View(memory) };
}

const spec = (name: string, mode: 'read' | 'write', data: TaskData, extra: Partial<LockedTaskSpec<TaskData>> = {}) => ({
  lock: name,
  mode,
  memory: { name, size: 4096 },
  data,
  ...extra,
});

/** What `promise` rejects with (a DOMException is not an Error on Node 20, so t.throwsAsync refuses it). */
async function rejection(promise: Promise<unknown>): Promise<{ name?: string } | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => error as { name?: string },
  );
}

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

test('tasks under read locks overlap; tasks under write locks are exclusive', async (t) => {
  const { name, words } = setup(t, 'pisc-overlap');
  const pool = makePool(t, 4);
  const run = lockedPool<Task>(pool);
  await Promise.all(Array.from({ length: 8 }, () => run(spec(name, 'read', { op: 'overlap', holdMs: 100 }))));
  t.true(Atomics.load(words, 1) >= 2, `readers overlapped (most inside at once: ${Atomics.load(words, 1)})`);
  t.is(Atomics.load(words, 0), 0);

  Atomics.store(words, 1, 0);
  const results = await Promise.all(
    Array.from({ length: 12 }, () => run(spec(name, 'write', { op: 'overlap', holdMs: 10 }))),
  );
  t.is(Atomics.load(words, 1), 1, 'never two writers inside');
  t.true(results.every((r) => r.mode === 'write' && r.abandoned === false));
  t.true(new Set(results.map((r) => r.threadId)).size >= 2, 'the tasks ran on several Workers');
});

test('an abort while the task waits for the lock cancels the wait in the Worker, which lives on', async (t) => {
  const { name, lock } = setup(t, 'pisc-abort-wait');
  const pool = makePool(t, 1);
  const first = await runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'handles' }));

  const held = await lock.write();
  const controller = new AbortController();
  const run = runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'echo', value: 1 }), {
    signal: controller.signal,
  });
  await until(() => lock.inspect().waiting.readers === 1, 'the Worker to wait for the lock');
  controller.abort();
  t.is((await rejection(run))?.name, 'AbortError');
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 }, 'no request left behind');
  held.release();
  const probe = lock.tryWrite();
  t.truthy(probe, 'the aborted task holds nothing');
  probe?.release();

  const after = await runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'handles' }));
  t.is(after.threadId, first.threadId, 'the same Worker: not terminated');
  t.is(after.handles?.opened, first.handles?.opened, 'its cached handles survived');
  t.true(after.sameLock && after.sameMemory);
});

test('an aborted run rejects with the reason given to abort()', async (t) => {
  const { name, lock } = setup(t, 'pisc-abort-reason');
  const pool = makePool(t, 1);
  const held = await lock.write();
  t.teardown(() => held.release());
  const controller = new AbortController();
  const run = runLocked(pool, spec(name, 'write', { op: 'echo', value: 1 }), { signal: controller.signal });
  await until(() => lock.inspect().waiting.writers === 1, 'the Worker to wait for the lock');
  const reason = new Error('no longer needed');
  controller.abort(reason);
  t.is(await t.throwsAsync(run), reason);
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
  await t.throwsAsync(runLocked(pool, spec(name, 'read', { op: 'echo', value: 1 }), { signal: controller.signal }), {
    is: reason,
  });
});

test('an abort of a queued task drops it; the task ahead of it finishes', async (t) => {
  const { name, lock } = setup(t, 'pisc-abort-queued');
  const pool = makePool(t, 1);
  const held = await lock.write();
  const first = runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'echo', value: 'first' }));
  await until(() => lock.inspect().waiting.readers === 1, 'the first task to wait');
  const controller = new AbortController();
  const queued = runLocked(pool, spec(name, 'read', { op: 'echo', value: 'queued' }), { signal: controller.signal });
  await sleep(20);
  controller.abort();
  t.is((await rejection(queued))?.name, 'AbortError');
  held.release();
  t.is((await first).value, 'first');
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
});

test('a task that throws releases the lock; its error keeps message and code', async (t) => {
  const { name, lock } = setup(t, 'pisc-throw');
  const pool = makePool(t, 1);
  const error = await t.throwsAsync(
    runLocked(pool, spec(name, 'write', { op: 'throw', message: 'boom', code: 'E_BOOM' })),
  );
  t.is(error?.message, 'boom');
  t.is((error as Error & { code?: string }).code, 'E_BOOM');
  const probe = lock.tryWrite();
  t.truthy(probe, 'released after the throw');
  probe?.release();
  t.is((await runLocked<TaskResult>(pool, spec(name, 'write', { op: 'echo', value: 2 }))).value, 2);
});

test('a timeout rejects with LockTimeoutError (ERR_LOCK_TIMEOUT) and leaves nothing waiting', async (t) => {
  const { name, lock } = setup(t, 'pisc-timeout');
  const pool = makePool(t, 1);
  const held = await lock.write();
  t.teardown(() => held.release());
  const started = performance.now();
  const error = await t.throwsAsync(runLocked(pool, spec(name, 'read', { op: 'echo', value: 1 }, { timeout: 100 })));
  t.true(error instanceof LockTimeoutError);
  t.true(error instanceof InterlockError);
  t.is((error as InterlockError).code, 'ERR_LOCK_TIMEOUT');
  t.true(performance.now() - started >= 95);
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
  const zero = await t.throwsAsync(runLocked(pool, spec(name, 'write', { op: 'echo', value: 1 }, { timeout: 0 })));
  t.is((zero as InterlockError).code, 'ERR_LOCK_TIMEOUT');
});

test('errors are typed InterlockErrors, from the main side and from the Worker', async (t) => {
  const { name } = setup(t, 'pisc-errors');
  const pool = makePool(t, 1);
  const code = async (p: Promise<unknown>) => ((await t.throwsAsync(p)) as InterlockError).code;
  t.is(await code(runLocked(pool, { lock: 'bad name', mode: 'read', data: null })), 'ERR_INVALID_NAME');
  t.is(await code(runLocked(pool, { lock: name, mode: 'exclusive' as 'read', data: null })), 'ERR_INVALID_ARG_VALUE');
  t.is(await code(runLocked(pool, { lock: name, mode: 'read', data: null, timeout: -1 })), 'ERR_OUT_OF_RANGE');
  t.is(
    await code(runLocked(pool, spec(name, 'read', { op: 'echo', value: 0 }), { whileHeld: 'x' as 'signal' })),
    'ERR_INVALID_ARG_VALUE',
  );
  // From the Worker: the segment is 4096 bytes.
  const mismatch = await t.throwsAsync(
    runLocked(pool, spec(name, 'read', { op: 'echo', value: 0 }, { memory: { name, size: 8192 } })),
  );
  t.true(mismatch instanceof InterlockError);
  t.is((mismatch as InterlockError).code, 'ERR_SIZE_MISMATCH');
  const missing = uniqueName('pisc-missing');
  const notFound = await t.throwsAsync(
    runLocked(pool, spec(name, 'read', { op: 'echo', value: 0 }, { memory: { name: missing, create: false } })),
  );
  t.is((notFound as InterlockError).code, 'ERR_NOT_FOUND');
  t.throws(() => lockedTask(null as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
});

test('aborting a task that holds the write lock: Piscina terminates its Worker and the lock comes back', async (t) => {
  const { name, lock, words } = setup(t, 'pisc-abort-held');
  const pool = makePool(t, 1);
  const destroyed = once(pool, 'workerDestroy');
  const controller = new AbortController();
  const run = runLocked(pool, spec(name, 'write', { op: 'hold' }), { signal: controller.signal });
  await until(() => Atomics.load(words, 2) === 1, 'the task to hold the lock');
  t.is(lock.tryRead(), null, 'the task holds the write lock');
  const started = performance.now();
  controller.abort();
  t.is((await rejection(run))?.name, 'AbortError');
  await destroyed;
  const guard = await lock.write({ timeout: 2000 });
  const ms = performance.now() - started;
  t.log(`lock back ${ms.toFixed(1)} ms after the abort`);
  t.true(ms < 2000);
  t.true(guard.abandoned, 'the terminated body never released its write: the data may be torn');
  guard.markConsistent();
  guard.release();
  const again = await runLocked<TaskResult, TaskData>(pool, spec(name, 'write', { op: 'echo', value: 3 }));
  t.is(again.value, 3, 'the pool works on with a new Worker');
  t.false(again.abandoned);
});

test("whileHeld: 'signal' aborts the body's signal and keeps the Worker", async (t) => {
  const { name, lock, words } = setup(t, 'pisc-abort-signal');
  const pool = makePool(t, 1);
  const before = await runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'echo', value: 0 }));
  const controller = new AbortController();
  const run = runLocked(pool, spec(name, 'write', { op: 'hold', cooperative: true }), {
    signal: controller.signal,
    whileHeld: 'signal',
  });
  await until(() => Atomics.load(words, 2) === 1, 'the task to hold the lock');
  controller.abort();
  t.is((await rejection(run))?.name, 'AbortError');
  const probe = lock.tryWrite();
  t.truthy(probe, 'released when the body returned');
  probe?.release();
  const after = await runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'echo', value: 0 }));
  t.is(after.threadId, before.threadId, 'the same Worker');
});

test('pool.destroy() while a task holds the write lock gives the lock back', async (t) => {
  const { name, lock, words } = setup(t, 'pisc-destroy');
  const pool = new Piscina({ filename: fixturePath('piscina-task'), minThreads: 0, maxThreads: 1 });
  const run = runLocked(pool, spec(name, 'write', { op: 'hold' }));
  run.catch(() => {});
  await until(() => Atomics.load(words, 2) === 1, 'the task to hold the lock');
  const started = performance.now();
  const pending = lock.write({ timeout: 2000 });
  await pool.destroy();
  const guard = await pending;
  t.log(`lock back ${(performance.now() - started).toFixed(1)} ms after destroy()`);
  t.true(guard.abandoned, 'a destroyed Worker died inside its write');
  guard.release();
  await t.throwsAsync(run);
});

test('handles are opened once per Worker and cached; the memory is shared zero-copy', async (t) => {
  const { name, memory } = setup(t, 'pisc-cache');
  const other = uniqueName('pisc-cache-other');
  t.teardown(() => unlinkAll(other));
  const pool = makePool(t, 1);
  const results: TaskResult[] = [];
  for (let i = 0; i < 4; i++) {
    results.push(
      await runLocked<TaskResult, TaskData>(
        pool,
        spec(name, i % 2 ? 'read' : 'write', { op: 'handles', write: `hello ${i}` }),
      ),
    );
    t.is(memory.buffer.toString('utf8', 16, 23), `hello ${i}`);
  }
  t.is(results[0]!.handles!.opened, 2, 'one lock and one memory');
  t.deepEqual(results[3]!.handles, { locks: [name], memories: [name], opened: 2 });
  t.true(
    results.slice(1).every((r) => r.sameLock && r.sameMemory),
    'the same objects every time',
  );
  const more = await runLocked<TaskResult, TaskData>(pool, { lock: other, mode: 'read', data: { op: 'handles' } });
  t.deepEqual(more.handles, { locks: [name, other], memories: [name], opened: 3 });
});

test('abandoned is exposed, and markConsistent() in the task clears it', async (t) => {
  const { name } = setup(t, 'pisc-abandoned');
  const pool = makePool(t, 1);
  const child = spawn(process.execPath, [fixturePath('hold-forever'), name, 'write'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => chunk.includes('held') && resolve()));
  const waiting = runLocked<TaskResult, TaskData>(pool, spec(name, 'write', { op: 'abandoned', repair: false }));
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.true((await waiting).abandoned, 'a writer died inside');
  t.true(
    (await runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'abandoned', repair: false }))).abandoned,
  );
  t.true(
    (await runLocked<TaskResult, TaskData>(pool, spec(name, 'write', { op: 'abandoned', repair: true }))).abandoned,
  );
  t.false(
    (await runLocked<TaskResult, TaskData>(pool, spec(name, 'read', { op: 'abandoned', repair: false }))).abandoned,
  );
});

test('a result wrapped in Piscina.move() is transferred through runLocked', async (t) => {
  const { name } = setup(t, 'pisc-move');
  const pool = makePool(t, 1);
  const bytes = await runLocked<Uint8Array, TaskData>(pool, spec(name, 'read', { op: 'move', bytes: 1 << 16 }));
  t.true(bytes instanceof Uint8Array);
  t.is(bytes.length, 1 << 16);
  t.is(bytes[100], 7);
});

test('a plain pool.run of a locked task works too (no abort channel): result and error as Piscina gives them', async (t) => {
  const { name, lock } = setup(t, 'pisc-plain');
  const pool = makePool(t, 1);
  const result = (await pool.run(spec(name, 'write', { op: 'echo', value: 'plain' }))) as TaskResult;
  t.is(result.value, 'plain');
  await t.throwsAsync(pool.run(spec(name, 'write', { op: 'throw', message: 'plain boom', code: 'E' })), {
    message: 'plain boom',
  });
  const probe = lock.tryWrite();
  t.truthy(probe);
  probe?.release();
});

test('aborts racing grants, waits and task ends never leave the lock held or a request queued', async (t) => {
  const { name, lock } = setup(t, 'pisc-abort-race');
  const pool = makePool(t, 2);
  let destroyed = 0;
  pool.on('workerDestroy', () => destroyed++);
  const rounds = 100;
  const outcomes = { done: 0, aborted: 0, terminated: 0 };
  for (let round = 0; round < rounds; round++) {
    const held = await lock.write();
    const controller = new AbortController();
    const run = runLocked(pool, spec(name, round % 2 ? 'read' : 'write', { op: 'echo', value: round }), {
      signal: controller.signal,
      whileHeld: round % 4 < 2 ? 'signal' : 'terminate',
    });
    const before = destroyed;
    setTimeout(() => held.release(), Math.floor(Math.random() * 4));
    setTimeout(() => controller.abort(), Math.floor(Math.random() * 6));
    const error = await rejection(run);
    if (error === undefined) outcomes.done++;
    else {
      t.is(error.name, 'AbortError');
      outcomes.aborted++;
    }
    if (destroyed === before) {
      // No Worker was terminated: once the run has settled, the task holds and awaits nothing.
      const info = lock.inspect();
      t.deepEqual(info.waiting, { readers: 0, writers: 0 }, `round ${round}`);
      t.deepEqual(info.readers, [], `round ${round}`);
      if (held.released) t.is(info.writer, null, `round ${round}`);
    } else outcomes.terminated++;
    held.release();
    const guard = await lock.write({ timeout: 2000 }); // what a terminated Worker held comes back
    guard.release();
  }
  t.log(outcomes);
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
});
