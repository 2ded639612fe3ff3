// LockManager: the Web Locks API across processes. Ports of the web-platform-tests `web-locks/` cases
// that apply to processes (each test names its WPT file), plus the cross-process behaviour itself,
// with real child processes (fixtures/lock-manager-agent).
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { LockManager, RwLock, SharedMemory, locks, type Lock, type LockSnapshot } from 'interlocked';
import { Agent, AgentError } from './helpers/agent.js';
import { int32View, sleep, unlinkPrefix } from './helpers/names.js';

// ---- helpers --------------------------------------------------------------------------------------

/** Child processes that make LockManager requests for the test (fixtures/lock-manager-agent). */
async function agents(t: ExecutionContext, n: number): Promise<Agent[]> {
  const list = await Promise.all(Array.from({ length: n }, () => Agent.start({ fixture: 'lock-manager-agent' })));
  t.teardown(() => Promise.all(list.map((a) => a.stop())));
  return list;
}

/** A manager with a prefix of its own, whose locks and registry are removed after the test. */
function manager(t: ExecutionContext): LockManager {
  const prefix = `t-lm-${process.pid}-${randomBytes(3).toString('hex')}.`;
  t.teardown(() => unlinkPrefix(prefix));
  return new LockManager({ prefix });
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Requests a lock and holds it until the returned release() is called. Resolves once granted. */
async function hold(
  m: LockManager,
  name: string,
  options: { mode?: 'exclusive' | 'shared'; signal?: AbortSignal } = {},
): Promise<{ release: (v?: unknown) => void; done: Promise<unknown> }> {
  const granted = deferred();
  const released = deferred<unknown>();
  const done = m.request(name, options, () => {
    granted.resolve();
    return released.promise;
  });
  await Promise.race([granted.promise, done]);
  return { release: released.resolve, done };
}

/** Waits (bounded by the test timeout) until query() satisfies `ready`. */
async function until(m: LockManager, ready: (s: { held: LockSnapshot[]; pending: LockSnapshot[] }) => boolean) {
  for (;;) {
    const state = await m.query();
    if (ready(state)) return state;
    await sleep(5);
  }
}

/** The value a promise rejects with (aborts reject with a DOMException, not an Error: no throwsAsync). */
async function rejection(t: ExecutionContext, promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => t.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

const isAbortError = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';

const modes = (list: LockSnapshot[], name: string) => list.filter((l) => l.name === name).map((l) => l.mode);
const clients = (list: LockSnapshot[], name: string) => list.filter((l) => l.name === name).map((l) => l.clientId);

// ---- across processes --------------------------------------------------------------------------------

test('exclusive: requests of two processes never overlap (read-modify-write across awaits)', async (t) => {
  const m = manager(t);
  const memoryName = `${m.prefix}counter`;
  const memory = SharedMemory.open(memoryName, { size: 4096 });
  t.teardown(() => memory.close());
  const words = int32View(memory);
  const [a, b] = (await agents(t, 2)) as [Agent, Agent];
  const rounds = 200;
  await Promise.all(
    [a, b].map((agent) =>
      agent.call('exclusiveLoop', { prefix: m.prefix, name: 'counter', memory: memoryName, rounds }),
    ),
  );
  t.is(Atomics.load(words, 2), 0, 'never two holders inside');
  t.is(Atomics.load(words, 0), 2 * rounds, 'no lost update');
});

test('exclusive: a lock held by another process blocks here until that process releases it', async (t) => {
  const m = manager(t);
  const [a] = (await agents(t, 1)) as [Agent];
  await a.call('hold', { prefix: m.prefix, name: 'x', key: 'k' });
  let granted = false;
  const request = m.request('x', () => {
    granted = true;
    return 'mine';
  });
  await until(m, (s) => modes(s.pending, 'x').length === 1);
  t.false(granted);
  const { result } = await a.call<{ result: unknown }>('release', { key: 'k', value: 'theirs' });
  t.is(result, 'theirs', 'the other process got its callback result back');
  t.is(await request, 'mine');
  t.true(granted);
});

test('shared: holders in different processes overlap; an exclusive request waits for all of them', async (t) => {
  const m = manager(t);
  const [a, b] = (await agents(t, 2)) as [Agent, Agent];
  await a.call('hold', { prefix: m.prefix, name: 's', mode: 'shared', key: 'k' });
  // Granted while the other process holds it: shared locks overlap across processes.
  t.deepEqual(await b.call('hold', { prefix: m.prefix, name: 's', mode: 'shared', key: 'k' }), {
    granted: true,
    name: 's',
    mode: 'shared',
  });
  const state = await m.query();
  t.deepEqual(modes(state.held, 's'), ['shared', 'shared']);
  // WPT query.tentative: 'query() reports different ids for held locks from different contexts'
  t.deepEqual(clients(state.held, 's').sort(), [String(a.pid), String(b.pid)].sort());
  t.is(await m.request('s', { ifAvailable: true }, (l) => l), null, 'no exclusive while shared held elsewhere');
  const exclusive = m.request('s', (l) => l?.mode);
  await until(m, (s) => modes(s.pending, 's').length === 1);
  await a.call('release', { key: 'k' });
  t.deepEqual(modes((await m.query()).pending, 's'), ['exclusive'], 'still waiting for the second holder');
  await b.call('release', { key: 'k' });
  t.is(await exclusive, 'exclusive');
});

test('ifAvailable: the callback gets null when another process holds the lock', async (t) => {
  const m = manager(t);
  const [a] = (await agents(t, 1)) as [Agent];
  await a.call('hold', { prefix: m.prefix, name: 'x', key: 'k' });
  t.is(await m.request('x', { ifAvailable: true }, (lock) => lock), null);
  t.is(await m.request('x', { ifAvailable: true, mode: 'shared' }, (lock) => lock), null);
  // And the other way round: the child sees this process's lock as taken.
  await m.request('y', async () => {
    t.deepEqual(await a.call('hold', { prefix: m.prefix, name: 'y', ifAvailable: true, key: 'n' }), {
      granted: false,
    });
  });
  await a.call('release', { key: 'k' });
  t.not(await m.request('x', { ifAvailable: true }, (lock) => lock), null);
});

test('signal: aborting a request pending behind another process rejects it and leaks nothing', async (t) => {
  const m = manager(t);
  const [holder, waiter] = (await agents(t, 2)) as [Agent, Agent];
  await holder.call('hold', { prefix: m.prefix, name: 'x', key: 'h' });
  const aborted = waiter.call('hold', { prefix: m.prefix, name: 'x', key: 'w', abortKey: 'a' });
  await until(m, (s) => clients(s.pending, 'x').includes(String(waiter.pid)));
  await waiter.call('abort', { abortKey: 'a' });
  const error = await t.throwsAsync(aborted);
  t.is((error as AgentError).errorName, 'AbortError');
  const state = await m.query();
  t.deepEqual(state.pending, [], 'no pending request left behind');
  await holder.call('release', { key: 'h' });
  t.not(await m.request('x', { ifAvailable: true }, (l) => l), null, 'free once the holder released it');
  t.deepEqual(await waiter.call('hold', { prefix: m.prefix, name: 'x', key: 'w2', ifAvailable: true }), {
    granted: true,
    name: 'x',
    mode: 'exclusive',
  });
  await waiter.call('release', { key: 'w2' });
});

test('a callback that throws in another process releases the lock there and rejects its request', async (t) => {
  const m = manager(t);
  const [a] = (await agents(t, 1)) as [Agent];
  t.deepEqual(await a.call('throwInside', { prefix: m.prefix, name: 'x' }), {
    rejected: true,
    message: 'thrown inside',
  });
  t.not(await m.request('x', { ifAvailable: true }, (l) => l), null);
  // A rejected held promise releases too.
  await a.call('hold', { prefix: m.prefix, name: 'x', key: 'k' });
  t.is(await m.request('x', { ifAvailable: true }, (l) => l), null);
  const { result } = await a.call<{ result: { error: { message: string } } }>('fail', { key: 'k', message: 'nope' });
  t.is(result.error.message, 'nope');
  t.not(await m.request('x', { ifAvailable: true }, (l) => l), null);
});

test('query() in another process sees held (pid, mode) and pending requests of this one', async (t) => {
  const m = manager(t);
  const [a] = (await agents(t, 1)) as [Agent];
  const ex = await hold(m, 'ex');
  const sh1 = await hold(m, 'sh', { mode: 'shared' });
  const sh2 = await hold(m, 'sh', { mode: 'shared' });
  const queued = m.request('ex', { mode: 'shared' }, () => 'late');
  const seen = await a.call<{ held: LockSnapshot[]; pending: LockSnapshot[] }>('query', { prefix: m.prefix });
  const me = { clientId: String(process.pid), pid: process.pid };
  t.deepEqual(seen.held, [
    { name: 'ex', mode: 'exclusive', ...me },
    { name: 'sh', mode: 'shared', ...me },
    { name: 'sh', mode: 'shared', ...me },
  ]);
  t.deepEqual(seen.pending, [{ name: 'ex', mode: 'shared', ...me }]);
  ex.release();
  t.is(await queued, 'late');
  sh1.release();
  sh2.release();
  await Promise.all([ex.done, sh1.done, sh2.done]);
  t.deepEqual(await a.call('query', { prefix: m.prefix }), { held: [], pending: [] });
});

test('query() here sees the held and pending requests of other processes (WPT: query() can observe a deadlock)', async (t) => {
  const m = manager(t);
  const [a, b] = (await agents(t, 2)) as [Agent, Agent];
  await a.call('hold', { prefix: m.prefix, name: 'r1', key: 'a1' });
  await b.call('hold', { prefix: m.prefix, name: 'r2', key: 'b2' });
  void a.call('hold', { prefix: m.prefix, name: 'r2', key: 'a2' }).catch(() => undefined);
  void b.call('hold', { prefix: m.prefix, name: 'r1', key: 'b1', mode: 'shared' }).catch(() => undefined);
  const state = await until(m, (s) => s.pending.length === 2);
  const row = (name: string, mode: string, agent: Agent) => ({
    name,
    mode,
    clientId: String(agent.pid),
    pid: agent.pid,
  });
  t.deepEqual(
    [...state.held].sort((x, y) => x.name.localeCompare(y.name)),
    [row('r1', 'exclusive', a), row('r2', 'exclusive', b)],
  );
  t.deepEqual(
    [...state.pending].sort((x, y) => x.name.localeCompare(y.name)),
    [row('r1', 'shared', b), row('r2', 'exclusive', a)],
  );
  t.is(clients(state.held, 'r1')[0], clients(state.pending, 'r2')[0]);
  t.is(clients(state.held, 'r2')[0], clients(state.pending, 'r1')[0]);
});

test('a process killed while holding: the lock passes to the waiting request', async (t) => {
  const m = manager(t);
  const [a] = (await agents(t, 1)) as [Agent];
  await a.call('hold', { prefix: m.prefix, name: 'x', key: 'k' });
  const waiting = m.request('x', (l) => l?.name);
  await until(m, (s) => s.pending.length === 1);
  await a.stop();
  t.is(await waiting, 'x');
  t.deepEqual(await m.query(), { held: [], pending: [] });
});

test('names that need encoding round-trip through the OS name and through query() in another process', async (t) => {
  const m = manager(t);
  const [a] = (await agents(t, 1)) as [Agent];
  const names = ['', 'abc\x00def', '\uD800', '\uDC00\uD800', '\uFFFD', 'héllo wörld 🎉', 'a/b c', 'plain.name_1'];
  for (const [i, name] of names.entries()) {
    t.deepEqual(await a.call('hold', { prefix: m.prefix, name, key: `k${i}` }), {
      granted: true,
      name,
      mode: 'exclusive',
    });
  }
  const state = await m.query();
  t.deepEqual(state.held.map((l) => l.name).sort(), [...names].sort());
  for (const name of names) t.is(await m.request(name, { ifAvailable: true }, (l) => l), null, JSON.stringify(name));
  t.is(m.lockName('plain.name_1'), `${m.prefix}plain.name_1`, 'valid interlock names map to themselves');
  t.regex(m.lockName('a/b c'), /^t-lm-.*\.-[A-Za-z0-9_-]+$/);
  t.not(m.lockName('\uD800'), m.lockName('\uFFFD'));
  for (const [i] of names.entries()) await a.call('release', { key: `k${i}` });
});

test('timeout (an interlock extension) rejects with ERR_LOCK_TIMEOUT while another process holds the lock', async (t) => {
  const m = manager(t);
  const [a] = (await agents(t, 1)) as [Agent];
  await a.call('hold', { prefix: m.prefix, name: 'x', key: 'k' });
  let called = false;
  const error = await t.throwsAsync(
    m.request('x', { timeout: 100 }, () => {
      called = true;
    }),
    { code: 'ERR_LOCK_TIMEOUT', name: 'LockTimeoutError' },
  );
  t.regex(error!.message, /100 ms/);
  await t.throwsAsync(
    m.request('x', { timeout: 0 }, () => undefined),
    { code: 'ERR_LOCK_TIMEOUT' },
  );
  t.false(called);
  t.deepEqual((await m.query()).pending, []);
  await a.call('release', { key: 'k' });
  t.is(await m.request('x', { timeout: 1000 }, () => 7), 7);
});

test('an exclusive request is the write lock of RwLock.open(manager.lockName(name))', async (t) => {
  const m = manager(t);
  const rw = RwLock.open(m.lockName('x'));
  t.teardown(() => rw.close());
  const guard = rw.tryWrite()!;
  t.is(await m.request('x', { ifAvailable: true }, (l) => l), null);
  // Holds taken outside the manager (here: RwLock directly) are reported too.
  const me = { clientId: String(process.pid), pid: process.pid };
  const pendingShared = m.request('x', { mode: 'shared' }, () => 'after');
  const extraRead = rw.read();
  t.deepEqual(await m.query(), {
    held: [{ name: 'x', mode: 'exclusive', ...me }],
    pending: [
      { name: 'x', mode: 'shared', ...me },
      { name: 'x', mode: 'shared', ...me },
    ],
  });
  guard.release();
  t.is(await pendingShared, 'after');
  (await extraRead).release();
  await m.request('x', { mode: 'shared' }, () => {
    t.is(rw.tryWrite(), null);
    t.is(rw.inspect().readers[0]?.pid, process.pid);
  });
});

// ---- WPT acquire.tentative.https.any.js --------------------------------------------------------------

// A NotSupportedError DOMException (ava's throwsAsync wants native errors; a DOMException is not one).
async function notSupported(
  t: ExecutionContext,
  promise: Promise<unknown>,
  what = '',
  message?: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  t.true(error instanceof DOMException, `${what}: rejected with a DOMException, not ${String(error)}`);
  t.is((error as DOMException).name, 'NotSupportedError', what);
  if (message) t.regex((error as DOMException).message, message, what);
}

test('WPT acquire: request() needs a name and a callback; the callback must be a function', async (t) => {
  const m = manager(t);
  const request = m.request.bind(m) as (...args: unknown[]) => Promise<unknown>;
  // Rejections, never throws: request() returns a promise, as a WebIDL operation does.
  const none = request();
  t.true(none instanceof Promise);
  await t.throwsAsync(none, { instanceOf: TypeError });
  await t.throwsAsync(request('res'), { instanceOf: TypeError });
  for (const callback of [undefined, null, 123, 'abc', [], {}, new Promise(() => {})]) {
    await t.throwsAsync(request('res', callback), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  }
  // The name is a WebIDL DOMString: any value but a Symbol converts to one.
  t.is(await request(42, (l: Lock) => l.name), '42');
  t.is(await request({ toString: () => 'obj' }, (l: Lock) => l.name), 'obj');
  await t.throwsAsync(
    request(Symbol('s'), () => t.fail()),
    { instanceOf: TypeError },
  );
});

test("WPT acquire: mode must be 'shared' or 'exclusive'", async (t) => {
  const m = manager(t);
  const request = m.request.bind(m) as (...args: unknown[]) => Promise<unknown>;
  await t.throwsAsync(
    request('res', { mode: 'foo' }, () => {}),
    { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' },
  );
  await t.throwsAsync(
    request('res', { mode: null }, () => {}),
    { instanceOf: TypeError },
  );
  t.is(await m.request('res', { mode: 'exclusive' }, (lock) => lock?.mode), 'exclusive');
  t.is(await m.request('res', { mode: 'shared' }, (lock) => lock?.mode), 'shared');
});

test('WPT acquire: steal is not supported; ifAvailable and signal are mutually exclusive; other bad options', async (t) => {
  const m = manager(t);
  const request = m.request.bind(m) as (...args: unknown[]) => Promise<unknown>;
  const cb = t.fail.bind(t, 'callback should not run') as () => void;
  const controller = new AbortController();
  // What the standard refuses, then what a lock across processes cannot do: NotSupportedError.
  for (const options of [
    { steal: true },
    { steal: true, ifAvailable: true },
    { mode: 'shared', steal: true },
    { signal: controller.signal, steal: true },
    { signal: controller.signal, ifAvailable: true },
    { ifAvailable: true, timeout: 10 },
  ]) {
    await notSupported(t, request('res', options, cb), JSON.stringify(options));
  }
  // The standard's order: NotSupportedError comes before an aborted signal's reason.
  const aborted = AbortSignal.abort();
  await notSupported(t, request('res', { signal: aborted, ifAvailable: true }, cb), 'aborted + ifAvailable');
  await notSupported(t, request('-x', { signal: aborted }, cb), "aborted + '-'");
  const reason = await request('res', { signal: aborted }, cb).catch((e: unknown) => e);
  t.is((reason as DOMException).name, 'AbortError');
  // Bad types as Node reports them (TypeError / RangeError).
  await t.throwsAsync(request('res', { timeout: -1 }, cb), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' });
  await t.throwsAsync(request('res', { timeout: 'soon' }, cb), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  await t.throwsAsync(request('res', 'options', cb), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  // ifAvailable and steal are WebIDL booleans: any value converts.
  t.is(await request('res', { ifAvailable: 'yes' }, (l: Lock | null) => l?.mode), 'exclusive');
  t.is(await request('res', { steal: 0 }, () => 'ok'), 'ok');
  t.is(await m.request('res', { steal: false }, () => 'ok'), 'ok', 'steal: false is the default');
  t.is(await request('res', null, () => 'ok'), 'ok', 'null options are the defaults');
});

test('WPT acquire: the returned promise resolves after the lock is released', async (t) => {
  const m = manager(t);
  const release = deferred();
  const returned = m.request('res', () => release.promise);
  const order: string[] = [];
  void returned.then(() => order.push('returned'));
  void release.promise.then(() => order.push('holding'));
  release.resolve();
  await Promise.all([returned, release.promise]);
  t.deepEqual(order, ['holding', 'returned']);
  t.not(await m.request('res', { ifAvailable: true }, (l) => l), null);
});

test('WPT acquire: the returned promise rejects if the callback throws, synchronously or asynchronously', async (t) => {
  const m = manager(t);
  const testError = { name: 'test' };
  const p1 = m.request('res', () => {
    throw testError;
  });
  t.is(Promise.resolve(p1), p1, 'request() result is a Promise');
  t.is(await p1.catch((e: unknown) => e), testError);
  const p2 = m.request('res', async () => {
    throw testError;
  });
  t.is(await p2.catch((e: unknown) => e), testError);
  t.not(await m.request('res', { ifAvailable: true }, (l) => l), null, 'released after the throw');
});

test('the callback runs asynchronously, never inside request()', async (t) => {
  const m = manager(t);
  let called = false;
  const p = m.request('res', () => {
    called = true;
  });
  const q = m.request('other', { ifAvailable: true }, () => {
    called = true;
  });
  t.false(called);
  await Promise.all([p, q]);
  t.true(called);
});

// ---- WPT held.tentative.https.any.js -------------------------------------------------------------------

test("WPT held: the callback's result is promisified if not async", async (t) => {
  const m = manager(t);
  const p = m.request('res', () => 123);
  t.is(Promise.resolve(p), p);
  t.is(await p, 123);
});

test("WPT held: the lock is held until the callback's returned promise resolves / rejects", async (t) => {
  const m = manager(t);
  for (const outcome of ['resolve', 'reject'] as const) {
    const granted = deferred();
    const release = deferred();
    const first = m.request('res', () => {
      granted.resolve();
      return release.promise;
    });
    await granted.promise;
    const order: string[] = [];
    await Promise.all([
      sleep(50).then(() => {
        order.push('1st lock released');
        if (outcome === 'resolve') release.resolve();
        else release.reject(new Error('expected'));
      }),
      m.request('res', () => {
        order.push('2nd lock granted');
      }),
    ]);
    t.deepEqual(order, ['1st lock released', '2nd lock granted'], outcome);
    await first.catch(() => undefined);
  }
});

test('WPT held: a held lock prevents the same client from acquiring it', async (t) => {
  const m = manager(t);
  let called = false;
  await m.request('res', async () => {
    await m.request('res', { ifAvailable: true }, (lock) => {
      called = true;
      t.is(lock, null);
    });
  });
  t.true(called);
});

// ---- WPT lock-attributes.tentative.https.any.js --------------------------------------------------------

test('WPT lock-attributes: the lock reflects the requested name and mode', async (t) => {
  const m = manager(t);
  const seen: Lock[] = [];
  await m.request('resource', (lock) => void seen.push(lock!));
  await m.request('resource', { mode: 'shared' }, (lock) => void seen.push(lock!));
  t.deepEqual(
    seen.map((l) => ({ name: l.name, mode: l.mode })),
    [
      { name: 'resource', mode: 'exclusive' },
      { name: 'resource', mode: 'shared' },
    ],
  );
});

// ---- WPT mode-exclusive / mode-shared / mode-mixed -------------------------------------------------------

test('WPT mode-exclusive: requests are granted in order; distinct resources are independent', async (t) => {
  const m = manager(t);
  const granted: number[] = [];
  const log = (n: number) => () => void granted.push(n);
  await Promise.all([m.request('a', log(1)), m.request('a', log(2)), m.request('a', log(3))]);
  t.deepEqual(granted, [1, 2, 3]);
  granted.length = 0;
  let inner!: Promise<unknown>;
  await m.request('a', async () => {
    inner = Promise.all([m.request('a', log(1)), m.request('b', log(2))]);
  });
  await inner;
  t.deepEqual(granted, [2, 1]);
});

test('WPT mode-shared: requests are granted in order; shared locks are not exclusive', async (t) => {
  const m = manager(t);
  const granted: number[] = [];
  const log = (n: number) => () => void granted.push(n);
  const shared = { mode: 'shared' } as const;
  await Promise.all([
    m.request('a', shared, log(1)),
    m.request('b', shared, log(2)),
    m.request('c', shared, log(3)),
    m.request('a', shared, log(4)),
    m.request('b', shared, log(5)),
    m.request('c', shared, log(6)),
  ]);
  t.deepEqual(granted, [1, 2, 3, 4, 5, 6]);
  let again = false;
  await m.request('a', shared, async () => {
    await m.request('a', shared, () => {
      again = true;
    });
  });
  t.true(again);
});

test('WPT mode-mixed: an exclusive request waits for the shared holders; other names go on', async (t) => {
  const m = manager(t);
  const unblock = deferred();
  const granted: string[] = [];
  const shared = { mode: 'shared' } as const;
  for (const n of [1, 2, 3]) {
    void m.request('a', shared, async () => {
      granted.push(`a-shared-${n}`);
      await unblock.promise;
    });
  }
  let exclusiveLock: Lock | null = null;
  const exclusive = m.request('a', async (lock) => {
    granted.push('a-exclusive');
    exclusiveLock = lock;
  });
  await m.request('b', { mode: 'exclusive' }, () => void granted.push('b-exclusive'));
  t.deepEqual(granted, ['a-shared-1', 'a-shared-2', 'a-shared-3', 'b-exclusive']);
  unblock.resolve();
  await exclusive;
  t.is(exclusiveLock!.mode, 'exclusive');
  t.deepEqual(granted, ['a-shared-1', 'a-shared-2', 'a-shared-3', 'b-exclusive', 'a-exclusive']);
});

// ---- WPT ifAvailable.tentative.https.any.js ---------------------------------------------------------------

test('WPT ifAvailable: lock available / not available / callback throws / unrelated lock held', async (t) => {
  const m = manager(t);
  t.not(await m.request('res', { ifAvailable: true }, async (lock) => lock), null, 'available');
  await m.request('res', async () => {
    t.is(await m.request('res', { ifAvailable: true }, async (lock) => (lock === null ? 123 : 0)), 123);
    const thrown = await m
      .request('res', { ifAvailable: true }, async (lock) => {
        t.is(lock, null);
        throw 123;
      })
      .catch((e: unknown) => e);
    t.is(thrown, 123, 'the value thrown by the callback');
    t.not(await m.request('different', { ifAvailable: true }, async (lock) => lock), null, 'unrelated lock');
  });
});

test('WPT ifAvailable: shared/exclusive combinations', async (t) => {
  const m = manager(t);
  await m.request('res', { mode: 'shared' }, async () => {
    t.not(await m.request('res', { mode: 'shared', ifAvailable: true }, (l) => l), null, 'shared while shared held');
    t.is(await m.request('res', { ifAvailable: true }, (l) => l), null, 'exclusive while shared held');
  });
  await m.request('res', async () => {
    t.is(await m.request('res', { mode: 'shared', ifAvailable: true }, (l) => l), null, 'shared while exclusive held');
  });
  // Shared request with a pending exclusive request in the queue: not grantable (FIFO).
  const held = await hold(m, 'q', { mode: 'shared' });
  const waitingExclusive = m.request('q', () => 'x');
  t.is(await m.request('q', { mode: 'shared', ifAvailable: true }, (l) => l), null, 'behind a waiting exclusive');
  held.release();
  t.is(await waitingExclusive, 'x');
});

test('WPT ifAvailable: the returned promise rejects if the callback throws or yields a rejected promise', async (t) => {
  const m = manager(t);
  const testError = { name: 'test' };
  await m.request('res', async () => {
    const p = m.request('res', { ifAvailable: true }, (lock) => {
      t.is(lock, null);
      throw testError;
    });
    t.is(Promise.resolve(p), p);
    t.is(await p.catch((e: unknown) => e), testError);
    const q = m.request('res', { ifAvailable: true }, async () => {
      throw testError;
    });
    t.is(await q.catch((e: unknown) => e), testError);
  });
});

test('WPT ifAvailable: locks are available once the previous release is processed', async (t) => {
  const m = manager(t);
  await m.request('res1', async () => {
    let called2 = false;
    await m.request('res2', async () => {
      called2 = true;
    });
    t.true(called2);
    t.not(await m.request('res2', { ifAvailable: true }, async (lock) => lock), null);
  });
});

// ---- WPT signal.tentative.https.any.js -------------------------------------------------------------------

test('WPT signal: the signal option must be an AbortSignal', async (t) => {
  const m = manager(t);
  const request = m.request.bind(m) as (...args: unknown[]) => Promise<unknown>;
  for (const signal of ['string', 12.34, false, {}, Symbol('s'), () => {}, globalThis]) {
    await t.throwsAsync(
      request('res', { signal }, () => t.fail()),
      { instanceOf: TypeError },
    );
  }
});

test('WPT signal: an already aborted signal rejects with AbortError (or the reason) and never calls back', async (t) => {
  const m = manager(t);
  const controller = new AbortController();
  controller.abort();
  t.true(
    isAbortError(
      await rejection(
        t,
        m.request('res', { signal: controller.signal }, () => t.fail()),
      ),
    ),
  );
  const reason = new Error('my reason');
  await t.throwsAsync(
    m.request('res', { signal: AbortSignal.abort(reason) }, () => t.fail()),
    { is: reason },
  );
});

test('WPT signal: an aborted pending request results in AbortError (at once, or after a timer)', async (t) => {
  const m = manager(t);
  for (const delayed of [false, true]) {
    const held = await hold(m, 'res');
    const controller = new AbortController();
    const promise = m.request('res', { signal: controller.signal }, () => t.fail('callback should not run'));
    const state = await m.query();
    t.is(state.held.filter((l) => l.name === 'res').length, 1);
    t.is(state.pending.filter((l) => l.name === 'res').length, 1);
    if (delayed) setTimeout(() => controller.abort(), 10);
    else controller.abort();
    t.true(isAbortError(await rejection(t, promise)));
    t.deepEqual((await m.query()).pending, []);
    held.release();
    await held.done;
  }
});

test('WPT signal: a signal that is not aborted changes nothing; a synchronous abort wins over a free lock', async (t) => {
  const m = manager(t);
  let got = false;
  await m.request('res', { signal: new AbortController().signal }, async () => {
    got = true;
  });
  t.true(got);
  got = false;
  const controller = new AbortController();
  const p = m.request('res', { signal: controller.signal }, () => {
    got = true;
  });
  // Even though the lock is grantable, this abort is processed first.
  controller.abort();
  t.true(isAbortError(await rejection(t, p)));
  t.false(got);
  await m.request('res', () => {
    got = true;
  });
  t.true(got, 'the next request is not blocked');
});

test('WPT signal: an abort after the grant or after the release has no effect', async (t) => {
  const m = manager(t);
  for (const when of ['granted', 'released'] as const) {
    const controller = new AbortController();
    const acquired = deferred();
    const release = deferred<string>();
    const released = m.request('res', { signal: controller.signal }, () => {
      acquired.resolve();
      return release.promise;
    });
    await acquired.promise;
    if (when === 'granted') controller.abort();
    release.resolve('resolved ok');
    if (when === 'released') controller.abort();
    t.is(await released, 'resolved ok', when);
  }
});

test('WPT signal: an abort lets the next pending request through', async (t) => {
  const m = manager(t);
  const controller = new AbortController();
  const first = m.request('res', { signal: controller.signal }, () => new Promise(() => {}));
  const next = m.request('res', () => 'resolved');
  controller.abort();
  t.true(isAbortError(await rejection(t, first)));
  t.is(await next, 'resolved');
});

// ---- WPT query-empty / query / query-order -----------------------------------------------------------------

test('WPT query-empty: no locks gives empty arrays', async (t) => {
  const m = manager(t);
  const state = await m.query();
  t.deepEqual(state, { held: [], pending: [] });
});

test('WPT query: dictionaries have name, mode and clientId (and pid)', async (t) => {
  const m = manager(t);
  await m.request('res', async () => {
    let lock2 = false;
    const second = m.request('res', () => {
      lock2 = true;
    });
    await m.request('res', { ifAvailable: true }, async (lock3) => {
      t.false(lock2);
      t.is(lock3, null);
      const state = await m.query();
      for (const info of [state.pending[0], state.held[0]]) {
        t.deepEqual(Object.keys(info!).sort(), ['clientId', 'mode', 'name', 'pid']);
      }
      t.deepEqual(modes(state.pending, 'res'), ['exclusive']);
      t.deepEqual(modes(state.held, 'res'), ['exclusive']);
    });
    void second;
  });
});

test('WPT query: individual, multiple and shared held locks; pending shared count; same clientId', async (t) => {
  const m = manager(t);
  await m.request('res', async () => {
    t.deepEqual(modes((await m.query()).held, 'res'), ['exclusive']);
  });
  await m.request('res', { mode: 'shared' }, async () => {
    t.deepEqual(modes((await m.query()).held, 'res'), ['shared']);
  });
  await m.request('res1', async () => {
    await m.request('res2', { mode: 'shared' }, async () => {
      const state = await m.query();
      t.deepEqual(modes(state.held, 'res1'), ['exclusive']);
      t.deepEqual(modes(state.held, 'res2'), ['shared']);
      t.deepEqual(clients(state.held, 'res1'), clients(state.held, 'res2'), 'same clientId from the same process');
    });
  });
  await m.request('res', { mode: 'shared' }, async () => {
    await m.request('res', { mode: 'shared' }, async () => {
      t.deepEqual(modes((await m.query()).held, 'res'), ['shared', 'shared']);
    });
  });
  await m.request('res', async () => {
    const waiting = [m.request('res', { mode: 'shared' }, () => {}), m.request('res', { mode: 'shared' }, () => {})];
    const state = await m.query();
    t.deepEqual(modes(state.held, 'res'), ['exclusive']);
    t.deepEqual(modes(state.pending, 'res'), ['shared', 'shared']);
    void Promise.all(waiting);
  });
});

test('WPT query-order: pending requests appear in the order made; held locks in the order granted', async (t) => {
  const m = manager(t);
  const [h1, h2, h3] = await Promise.all([hold(m, 'res1'), hold(m, 'res2'), hold(m, 'res3')]);
  const grants: string[] = [];
  const blocked = ['res3', 'res2', 'res1'].map((name) =>
    hold(m, name, { mode: 'shared' }).then((h) => {
      grants.push(name);
      return h;
    }),
  );
  t.deepEqual(
    (await m.query()).pending.map((l) => l.name),
    ['res3', 'res2', 'res1'],
  );
  h2!.release();
  h3!.release();
  h1!.release();
  const later = await Promise.all(blocked);
  // Each lock has its own waiter thread: the order of grants on different locks is the order in which
  // they reached this thread, which is the order the callbacks ran.
  t.deepEqual(
    (await m.query()).held.map((l) => l.name),
    grants,
  );
  for (const h of later) h.release();
  // One lock: the order is fixed by its queue.
  const order: number[] = [];
  const first = await hold(m, 'one');
  const queued = [1, 2, 3].map((n) => hold(m, 'one', { mode: 'shared' }).then((h) => (order.push(n), h)));
  first.release();
  const shared = await Promise.all(queued);
  t.deepEqual(order, [1, 2, 3]);
  t.deepEqual(
    (await m.query()).held.map((l) => l.name),
    ['one', 'one', 'one'],
  );
  for (const h of shared) h.release();
});

// ---- WPT resource-names.tentative.https.any.js ---------------------------------------------------------------

test('WPT resource-names: DOMString edge cases are granted under their own name', async (t) => {
  const m = manager(t);
  for (const name of ['', 'abc\x00def', '\uD800', '\uDC00', '\uDC00\uD800', '\uFFFF']) {
    t.is(await m.request(name, (lock) => lock?.name), name);
  }
});

test('WPT resource-names: names that are not valid UTF-16 are not mangled', async (t) => {
  const m = manager(t);
  await m.request('\uD800', async (lock) => {
    t.is(lock?.name, '\uD800');
    t.is(await m.request('\uFFFD', { ifAvailable: true }, (lock2) => lock2?.name), '\uFFFD');
  });
});

test("WPT resource-names: names cannot start with '-'", async (t) => {
  const m = manager(t);
  for (const name of ['-', '-foo']) {
    await notSupported(
      t,
      m.request(name, () => t.fail()),
      name,
    );
  }
  t.true(await m.request('x-anything', () => true));
});

test('names too long for their interlock form are NotSupportedError; bad prefixes ERR_INVALID_NAME', async (t) => {
  const m = manager(t);
  const room = 200 - m.prefix.length;
  t.is(await m.request('a'.repeat(room), (l) => l?.name.length), room);
  await notSupported(
    t,
    m.request('a'.repeat(room + 1), () => t.fail()),
    'too long',
    /too long/,
  );
  t.throws(() => m.lockName('é'.repeat(200)), { instanceOf: TypeError, code: 'ERR_INVALID_NAME' });
  for (const prefix of ['bad prefix', 'x'.repeat(101), 'a/b']) {
    t.throws(() => new LockManager({ prefix }), { instanceOf: TypeError, code: 'ERR_INVALID_NAME' });
  }
  t.throws(() => new LockManager({ prefix: 7 as never }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => new LockManager({ scope: 'machine' as 'local' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.is(new LockManager({ prefix: '' }).lockName('frames'), 'frames', 'an empty prefix shares names with RwLock');
});

test('query() never re-creates a lock that was unlinked (Linux: /dev/shm)', async (t) => {
  if (process.platform !== 'linux') return t.pass('Linux keeps lock objects in /dev/shm');
  const m = manager(t);
  await m.request('gone', () => undefined);
  await m.request('kept', () => undefined);
  t.true(RwLock.unlink(m.lockName('gone')));
  const other = new LockManager({ prefix: m.prefix });
  t.deepEqual(await other.query(), { held: [], pending: [] });
  t.false(fs.existsSync(`/dev/shm/interlock.lock.${m.lockName('gone')}`));
  t.true(fs.existsSync(`/dev/shm/interlock.lock.${m.lockName('kept')}`));
  await m.request('kept', async () => {
    t.deepEqual(
      (await other.query()).held.map((l) => l.name),
      ['kept'],
    );
  });
});

test('the default instance: locks', async (t) => {
  t.true(locks instanceof LockManager);
  t.is(locks.prefix, 'weblocks.');
  t.is(locks.scope, 'local');
  // One fixed name: the default prefix's registry is shared by the whole machine and keeps its names.
  const name = 'interlock-test.default-instance';
  t.teardown(() => RwLock.unlink(locks.lockName(name)));
  t.is(await locks.request(name, (lock) => lock?.mode), 'exclusive');
  t.true((await locks.query()).held.every((l) => l.name !== name));
});

test('query() of a prefix nobody used creates nothing; a full registry takes no more names and writes nothing past its end', async (t) => {
  const m = manager(t);
  const registry = `${m.prefix}-.registry`;
  t.deepEqual(await m.query(), { held: [], pending: [] });
  t.throws(() => SharedMemory.open(registry, { create: false }), { code: 'ERR_NOT_FOUND' }, 'query() made no registry');

  await m.request('first', () => {});
  const table = SharedMemory.open(registry, { create: false });
  t.teardown(() => table.close());
  t.is(table.size, 1 << 20);
  const words = new Int32Array(table.buffer.buffer, table.buffer.byteOffset, table.size / 4);
  t.is(Atomics.load(words, 1), 1);
  // 4095 whole entries of 256 bytes fit after the 64-byte header: claim them all.
  Atomics.store(words, 1, 4095);
  const tail = Buffer.from(table.buffer.subarray(table.size - 192));
  t.is(await m.request('one-too-many', (lock) => lock?.name), 'one-too-many', 'its lock still works');
  t.is(Atomics.load(words, 1), 4095, 'no index was claimed past the last whole entry');
  t.deepEqual(
    Buffer.from(table.buffer.subarray(table.size - 192)),
    tail,
    'nothing written into the last partial entry',
  );
});
