// One adapter per contender, all with the same shape, so every workload runs the same code on each:
//
//   const h = await contender.open(target)      // target: { name, file } made per workload
//   const held = await h.write()                // waits; held.release() may return a promise
//   const held = h.tryWrite()                   // never waits; null when the lock is taken (may
//                                               // be a promise where the library's try is async)
//   h.read() / h.tryRead()                      // shared mode where the library has one
//   h.close()
//
// `held` is the library's own object where it has one (interlock's LockGuard), else { release },
// so the harness adds no wrapper to the library that has none.
//
// `forms` names, in the library's own calls, the two ways a workload can take the write lock (see
// writeAcquirer below): the waiting call, and the try-first form real code uses to skip the wait.
//
// Each adapter uses the library the way its README says to, with the options a user who wants
// low latency would pick (noted where there is a choice). Libraries without a shared mode take
// the exclusive lock for read().
import { createRequire } from 'node:module';
import { openSync, closeSync, writeFileSync, existsSync } from 'node:fs';
import { RwLock } from '../../dist/index.mjs';

const require = createRequire(import.meta.url);

function versionOf(pkg) {
  return require(`${pkg}/package.json`).version;
}

function ensureFile(file) {
  if (!existsSync(file)) writeFileSync(file, '');
}

const interlock = {
  id: 'interlock',
  label: 'interlocked',
  api: '`await lock.write()` / `lock.tryWrite()`, `guard.release()`',
  forms: { wait: '`await write()`', tryFirst: '`tryWrite() ?? await write()`' },
  version: () => require('../../package.json').version,
  load: () => RwLock,
  shared: true,
  async open(target) {
    const lock = RwLock.open(target.name);
    return {
      write: () => lock.write(),
      read: () => lock.read(),
      tryWrite: () => lock.tryWrite(),
      tryRead: () => lock.tryRead(),
      close: () => lock.close(),
    };
  },
};

// proper-lockfile: mkdir-based lock file with an mtime heartbeat. Waiting is polling on a timer;
// `forever` with minTimeout 1 / factor 1 is the most eager polling it allows (its default is no
// retries at all; a large `retries` count instead costs ~65 ms per call: the retry package
// precomputes one timeout per retry). stale is its minimum, 5000 ms.
const properLockfile = {
  id: 'proper-lockfile',
  label: 'proper-lockfile',
  api: '`await lockfile.lock(file, { retries })`, `await release()`',
  forms: { wait: '`await lock(file, { retries })`', tryFirst: '`await lock(file)`, on `ELOCKED` waiting' },
  version: () => versionOf('proper-lockfile'),
  load: () => require('proper-lockfile'),
  shared: false,
  async open(target) {
    const lockfile = require('proper-lockfile');
    ensureFile(target.file);
    const waitOptions = {
      realpath: false,
      stale: 5000,
      retries: { forever: true, retries: 1, factor: 1, minTimeout: 1, maxTimeout: 1 },
    };
    const tryOptions = { realpath: false, stale: 5000, retries: 0 };
    const attempt = async (options) => {
      try {
        return { release: await lockfile.lock(target.file, options) };
      } catch (err) {
        if (err.code === 'ELOCKED') return null;
        throw err;
      }
    };
    const wait = async () => ({ release: await lockfile.lock(target.file, waitOptions) });
    return {
      write: wait,
      read: wait,
      tryWrite: () => attempt(tryOptions),
      tryRead: () => attempt(tryOptions),
      close() {},
    };
  },
};

// fs-ext: flock(2) with a callback; blocking requests run on the libuv threadpool.
const fsExt = {
  id: 'fs-ext',
  label: 'fs-ext',
  api: '`flock(fd, "ex", cb)` / `flock(fd, "exnb", cb)`, `flock(fd, "un", cb)`',
  forms: { wait: '`flock(fd, "ex")`', tryFirst: '`flock(fd, "exnb")`, on `EAGAIN` `"ex"`' },
  version: () => versionOf('fs-ext'),
  load: () => require('fs-ext'),
  shared: true,
  async open(target) {
    const { flock } = require('fs-ext');
    ensureFile(target.file);
    const fd = openSync(target.file, 'r+');
    const call = (op) => new Promise((resolve, reject) => flock(fd, op, (err) => (err ? reject(err) : resolve())));
    const held = { release: () => call('un') };
    const attempt = async (op) => {
      try {
        await call(op);
        return held;
      } catch (err) {
        if (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK') return null;
        throw err;
      }
    };
    return {
      write: async () => (await call('ex'), held),
      read: async () => (await call('sh'), held),
      tryWrite: () => attempt('exnb'),
      tryRead: () => attempt('shnb'),
      close: () => closeSync(fd),
    };
  },
};

// os-lock: fcntl(F_SETLKW) in a Node-API async work item (threadpool); `immediate` is F_SETLK.
// fcntl locks belong to the process, so requests from one process never exclude each other.
const osLock = {
  id: 'os-lock',
  label: 'os-lock',
  api: '`await lock(fd, { exclusive })` / `{ immediate: true }`, `await unlock(fd)`',
  forms: { wait: '`await lock(fd)`', tryFirst: '`await lock(fd, { immediate })`, on `EAGAIN` waiting' },
  version: () => versionOf('os-lock'),
  load: () => require('os-lock'),
  shared: true,
  async open(target) {
    const { lock, unlock } = require('os-lock');
    ensureFile(target.file);
    const fd = openSync(target.file, 'r+');
    const held = { release: () => unlock(fd) };
    const attempt = async (exclusive) => {
      try {
        await lock(fd, { exclusive, immediate: true });
        return held;
      } catch (err) {
        if (/^(EACCES|EAGAIN|EBUSY)$/.test(err.code)) return null;
        throw err;
      }
    };
    return {
      write: async () => (await lock(fd, { exclusive: true }), held),
      read: async () => (await lock(fd, { exclusive: false }), held),
      tryWrite: () => attempt(true),
      tryRead: () => attempt(false),
      close: () => closeSync(fd),
    };
  },
};

// fs-native-extensions: OFD fcntl locks on Linux. waitForLock() blocks on a thread it creates per
// call; tryLock() and unlock() are synchronous system calls on the JS thread.
const fsNative = {
  id: 'fs-native-extensions',
  label: 'fs-native-extensions',
  api: '`await waitForLock(fd)` / `tryLock(fd)`, `unlock(fd)`',
  forms: { wait: '`await waitForLock()`', tryFirst: '`tryLock() ?? await waitForLock()`' },
  version: () => versionOf('fs-native-extensions'),
  load: () => require('fs-native-extensions'),
  shared: true,
  async open(target) {
    const fsx = require('fs-native-extensions');
    ensureFile(target.file);
    const fd = openSync(target.file, 'r+');
    const held = { release: () => fsx.unlock(fd) };
    return {
      write: async () => (await fsx.waitForLock(fd), held),
      read: async () => (await fsx.waitForLock(fd, { shared: true }), held),
      tryWrite: () => (fsx.tryLock(fd) ? held : null),
      tryRead: () => (fsx.tryLock(fd, { shared: true }) ? held : null),
      close: () => closeSync(fd),
    };
  },
};

const isPromise = (x) => x !== null && typeof x === 'object' && typeof x.then === 'function';

// The write-lock acquisition forms, for any adapter's handle: 'wait' is its waiting call; 'tryFirst'
// is `tryWrite() ?? await write()`, the library's try, then its waiting call only when the try found
// the lock taken. Where the library's try is synchronous (interlock, fs-native-extensions) a free
// lock is returned as is, no promise, so the caller awaits only on the slow path, as real code does.
export const writeForms = ['wait', 'tryFirst'];

export function writeAcquirer(handle, form) {
  const { write, tryWrite } = handle;
  if (form === 'wait') return write;
  if (form !== 'tryFirst') throw new Error(`unknown acquisition form ${form}`);
  return () => {
    const got = tryWrite();
    return isPromise(got) ? got.then((held) => held ?? write()) : (got ?? write());
  };
}

export const contenders = [interlock, fsNative, fsExt, osLock, properLockfile];
export const peers = contenders.filter((c) => c.id !== 'interlock');

export function contender(id) {
  const found = contenders.find((c) => c.id === id);
  if (!found) throw new Error(`unknown contender ${id}`);
  return found;
}
