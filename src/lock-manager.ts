// The Web Locks API (navigator.locks) over RwLock, for every process of the machine.
import { addon, type NativeLockInfo } from './binding.js';
import {
  acquireChannel,
  debug,
  debugEnabled,
  now,
  publishRelease,
  releaseChannel,
  traceAcquire,
  traceTry,
  type AcquireContext,
} from './diagnostics.js';
import { InterlockError, LockTimeoutError, invalidArgType, invalidArgValue, invalidName } from './errors.js';
import type { LockGuard } from './lock-guard.js';
import { MAX_NAME_LENGTH, checkPrefix, decodeName, encodeName } from './lock-names.js';
import { LockRegistry } from './lock-registry.js';
import { abortReason, checkCommon, checkObject, checkSignal, checkTimeout, type Scope } from './options.js';
import { RwLock, quietAcquire, quietTry } from './rwlock.js';

/**
 * A LockManager request's mode: `'exclusive'` (the write lock of the underlying RwLock: one holder)
 * or `'shared'` (its read lock: any number of holders).
 */
export type LockMode = 'exclusive' | 'shared';

/** What a granted request's callback receives, as the Web Locks `Lock`. */
export interface Lock {
  /** The name given to `request()` (not its mapped RwLock name). */
  readonly name: string;
  /** The mode it was granted in. */
  readonly mode: LockMode;
}

/** One held or pending request, as `query()` reports it. */
export interface LockSnapshot {
  /** The name the program used (its prefix removed, decoded). */
  name: string;
  /** The mode held or asked for. */
  mode: LockMode;
  /** The process that made the request: `String(pid)`. */
  clientId: string;
  /** The process that made the request (its Workers share it). */
  pid: number;
}

/** What `LockManager.query()` resolves with, as in Web Locks. */
export interface LockManagerSnapshot {
  /**
   * Held requests of every process, one entry per hold, in the order they were granted (exactly for
   * this thread, to the millisecond across processes).
   */
  held: LockSnapshot[];
  /** Waiting requests: this thread's in the order made, then those of other processes. */
  pending: LockSnapshot[];
}

/** Options of `LockManager.request()`, as in Web Locks, plus `timeout`. */
export interface LockRequestOptions {
  /** `'exclusive'` (default): one holder; `'shared'`: any number of shared holders. */
  mode?: LockMode | undefined;
  /**
   * Calls the callback with `null` instead of waiting when the lock cannot be granted at once (it is
   * held, or a request waits before it). Default `false` (converted with `Boolean()`). With `signal`
   * or `timeout` the request rejects with a `NotSupportedError` `DOMException`.
   */
  ifAvailable?: boolean | undefined;
  /**
   * Not supported: a lock another process holds cannot be taken from it. `true` rejects with a
   * `NotSupportedError` `DOMException` (after the standard's own checks of `steal`).
   */
  steal?: boolean | undefined;
  /**
   * Aborts the request while it waits, or once granted but before its callback runs: it then rejects
   * with the signal's reason (an `AbortError` `DOMException` by default). An abort after the callback
   * started changes nothing.
   */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds to wait (an interlocked extension); then rejects with `LockTimeoutError`. Default
   * `Infinity`; `0` fails at once unless the lock is free; a century or more waits like `Infinity`.
   */
  timeout?: number | undefined;
}

/** Options of `new LockManager()`. */
export interface LockManagerOptions {
  /**
   * Prepended to every name on the OS side: 0 to 100 characters of `[A-Za-z0-9._-]`. Default
   * `'weblocks.'` ({@link DEFAULT_LOCK_PREFIX}). Managers with the same prefix and scope share their
   * locks; `''` makes `request('frames', ...)` the same lock as `RwLock.open('frames')`.
   */
  prefix?: string | undefined;
  /** Windows namespace of the locks; ignored on POSIX. Default `'local'`. */
  scope?: Scope | undefined;
}

/**
 * The callback of `LockManager.request()`: it runs once the lock is granted (with `null` when
 * `ifAvailable` found it taken), and the lock is held until the promise it returns settles.
 */
export type LockGrantedCallback<T> = (lock: Lock | null) => T | Promise<T>;

/** The prefix of a LockManager made without one, and of the default instance `locks`. */
export const DEFAULT_LOCK_PREFIX = 'weblocks.';

// ---- this thread's requests, in order (query() reports them exactly) ----------------------------

interface Entry {
  mode: LockMode;
  seq: number; // request order
  held: boolean;
  grantSeq: number; // grant order, once held
  time: number; // ms epoch of the grant, non-decreasing
}

/** Per lock (scope and OS name), this thread's pending and held requests. */
const journals = new Map<string, Set<Entry>>();
let nextSeq = 1;
let lastTime = 0;

function monotonicNow(): number {
  lastTime = Math.max(lastTime, Date.now());
  return lastTime;
}

function addEntry(key: string, mode: LockMode): Entry {
  const entry: Entry = { mode, seq: nextSeq++, held: false, grantSeq: 0, time: 0 };
  let set = journals.get(key);
  if (set === undefined) journals.set(key, (set = new Set()));
  set.add(entry);
  return entry;
}

function markHeld(entry: Entry): void {
  entry.held = true;
  entry.grantSeq = nextSeq++;
  entry.time = monotonicNow();
}

function dropEntry(key: string, entry: Entry | null): void {
  if (entry === null) return;
  const set = journals.get(key);
  if (set === undefined) return;
  set.delete(entry);
  if (set.size === 0) journals.delete(key);
}

// ---- the Web Locks standard's argument conversions ---------------------------------------------

function notSupported(message: string): DOMException {
  return new DOMException(message, 'NotSupportedError');
}

/** WebIDL DOMString: any value but a Symbol, by String(). */
function domString(value: unknown, what: string): string {
  if (typeof value === 'symbol') throw invalidArgType(what, 'convertible to a string (not a Symbol)', value);
  return String(value);
}

interface ConvertedOptions {
  mode: LockMode;
  ifAvailable: boolean;
  steal: boolean;
  signal: AbortSignal | undefined;
  timeout: number | undefined;
}

const REQUEST_KEYS = ['ifAvailable', 'mode', 'signal', 'steal', 'timeout'] as const;

/**
 * WebIDL LockOptions (members in their order), and the timeout extension. Where WebIDL would ignore
 * an unknown key this rejects it, a TypeError as for any other bad option: a misspelt `timout`
 * would otherwise wait forever.
 */
function lockOptions(value: unknown): ConvertedOptions {
  if (value === undefined || value === null) {
    return { mode: 'exclusive', ifAvailable: false, steal: false, signal: undefined, timeout: undefined };
  }
  const o = checkObject<Record<(typeof REQUEST_KEYS)[number], unknown>>(value, 'options', REQUEST_KEYS);
  const ifAvailable = Boolean(o.ifAvailable);
  const rawMode = o.mode;
  const mode = rawMode === undefined ? 'exclusive' : domString(rawMode, 'options.mode');
  if (mode !== 'exclusive' && mode !== 'shared') {
    throw invalidArgValue('options.mode', rawMode, "must be one of: 'exclusive', 'shared'");
  }
  const signal = checkSignal(o.signal);
  const steal = Boolean(o.steal);
  const timeout = o.timeout;
  checkTimeout(timeout);
  return { mode, ifAvailable, steal, signal, timeout: timeout as number | undefined };
}

// ---- the manager ----------------------------------------------------------------------------------

interface Resource {
  name: string;
  mapped: string;
  key: string;
  lock: RwLock;
}

interface ParsedRequest {
  resource: Resource;
  mode: LockMode;
  ifAvailable: boolean;
  signal: AbortSignal | undefined;
  timeout: number | undefined;
  callback: LockGrantedCallback<unknown>;
}

interface Row {
  snapshot: LockSnapshot;
  time: number;
  seq: number;
}

/**
 * The Web Locks API (`navigator.locks`) for every process of the machine: a request holds an
 * exclusive (write) or shared (read) RwLock named `prefix + name` until its callback's promise settles.
 *
 * Everything of {@link RwLock} holds: eventual fairness, FIFO within a process, recovery when a holder
 * dies (its locks pass on; `abandoned` is not reported here), and no wait ever blocks the event loop.
 * Names may be any string: one of `[A-Za-z0-9._-]` characters that does not start with `-` maps to
 * itself, any other to `-` and the base64url of its UTF-8 bytes; with the prefix the result must fit
 * in 200 characters. Lock handles are opened on first use of a name and kept by the manager.
 *
 * @example
 * ```ts
 * import { LockManager, locks } from 'interlocked';
 *
 * const total = await locks.request('ledger', async (lock) => {
 *   return await appendEntry(); // held until this settles; request() resolves with the value
 * });
 * await locks.request('cache', { mode: 'shared' }, () => readCache());
 * await locks.request('job', { ifAvailable: true }, (lock) => (lock ? runJob() : skip()));
 * const mine = new LockManager({ prefix: 'myapp.' });
 * ```
 */
export class LockManager {
  /** What every OS-side lock name of this manager starts with. */
  readonly prefix: string;
  /** The Windows namespace of this manager's locks (`'local'` unless given). */
  readonly scope: Scope;
  readonly #resources = new Map<string, Resource>();
  readonly #registry: LockRegistry;

  /**
   * Makes a manager; nothing is opened until its first request or query.
   *
   * @param options - `prefix` and `scope`.
   * @throws A `TypeError` (also an {@link InterlockError}): `ERR_INVALID_ARG_TYPE` (options not an
   * object, a prefix or scope not a string), `ERR_INVALID_ARG_VALUE` (an unknown key, a scope other
   * than `'local'`/`'global'`), `ERR_INVALID_NAME` (a prefix outside 0 to 100 characters of
   * `[A-Za-z0-9._-]`).
   */
  constructor(options?: LockManagerOptions) {
    const o = checkObject<LockManagerOptions>(options, 'options', ['prefix', 'scope']);
    this.prefix = o.prefix === undefined ? DEFAULT_LOCK_PREFIX : checkPrefix(o.prefix);
    this.scope = checkCommon({ scope: o.scope }).global ? 'global' : 'local';
    // '-.' never occurs in a mapped name: nothing else of the prefix can be called this.
    this.#registry = new LockRegistry(`${this.prefix}-.registry`, this.scope);
  }

  /**
   * The RwLock name that `name` maps to (`RwLock.open(locks.lockName(name))` is the same lock).
   *
   * @param name - A lock name as given to `request()`.
   * @returns `prefix` followed by the mapped name.
   * @throws A `TypeError` (also an {@link InterlockError}): `ERR_INVALID_ARG_TYPE` when `name` is not a
   * string, `ERR_INVALID_NAME` when it starts with `-` or is too long with the prefix.
   */
  lockName(name: string): string {
    return this.prefix + this.#mapped(name);
  }

  /**
   * Requests the exclusive lock `name` and runs `callback` once it is granted; the lock is held until
   * the promise `callback` returns settles. Waiting never blocks the event loop.
   *
   * @param name - Any string not starting with `-` (other values are converted with `String()`).
   * @param callback - Runs with the granted {@link Lock}.
   * @returns Resolves (or rejects) with the callback's result.
   * @throws Rejects (never throws), as the Web Locks standard says: with what the callback throws; a
   * `TypeError` for a bad argument (also an {@link InterlockError} with Node's code): the callback not
   * a function, or a Symbol name (`ERR_INVALID_ARG_TYPE`); a `NotSupportedError` `DOMException` for a name
   * starting with `-` or too long for its interlocked form; an {@link InterlockError} as
   * `RwLock.open()` fails (`ERR_TOO_MANY_PROCESSES`, `ERR_INCOMPATIBLE`, `ERR_NO_SPACE`, an errno
   * code such as `'EACCES'`, `ERR_UNSUPPORTED_PLATFORM`, ...).
   */
  request<T>(name: string, callback: LockGrantedCallback<T>): Promise<T>;
  /**
   * Requests the lock `name` in `options.mode` and runs `callback` once it is granted (with `null` at
   * once when `ifAvailable` finds it taken); the lock is held until the promise `callback` returns
   * settles. Waiting never blocks the event loop.
   *
   * @param name - Any string not starting with `-` (other values are converted with `String()`).
   * @param options - `mode`, `ifAvailable`, `signal`, `timeout` (`steal` is not supported).
   * @param callback - Runs with the granted {@link Lock}, or `null` (`ifAvailable`).
   * @returns Resolves (or rejects) with the callback's result.
   * @throws Rejects (never throws), as the Web Locks standard says: with what the callback throws; a
   * `TypeError` for a bad argument (also an {@link InterlockError} with Node's code): the callback not
   * a function, or a Symbol name (`ERR_INVALID_ARG_TYPE`), `options` not an object or
   * `signal` not an `AbortSignal` (`ERR_INVALID_ARG_TYPE`), a bad `mode` or an unknown option key
   * (`ERR_INVALID_ARG_VALUE`), a bad `timeout` (a `TypeError` or `RangeError` `ERR_OUT_OF_RANGE`); a
   * `NotSupportedError` `DOMException` for a name starting with `-` or too long for its interlocked
   * form, `steal: true`, `signal` with `ifAvailable`, `timeout` with `ifAvailable`; the signal's reason
   * when `signal` aborts before the callback runs (an `AbortError` `DOMException` by default);
   * {@link LockTimeoutError} when `timeout` passes; an {@link InterlockError} as `RwLock.open()` fails
   * (`ERR_TOO_MANY_PROCESSES`, `ERR_INCOMPATIBLE`, `ERR_NO_SPACE`, an errno code such as `'EACCES'`,
   * `ERR_UNSUPPORTED_PLATFORM`, ...).
   *
   * @example
   * ```ts
   * await locks.request('job', { signal: AbortSignal.timeout(500) }, runJob); // or { timeout: 500 }
   * ```
   */
  request<T>(name: string, options: LockRequestOptions, callback: LockGrantedCallback<T>): Promise<T>;
  request<T>(name: string, ...args: unknown[]): Promise<T> {
    let r: ParsedRequest;
    try {
      r = this.#parse(name, args);
    } catch (error) {
      return Promise.reject(error);
    }
    const { resource, mode, callback } = r;
    const lock: Lock = Object.freeze({ name: resource.name, mode });
    const rwMode = mode === 'exclusive' ? 'write' : 'read';
    const context: AcquireContext = {
      name: resource.name,
      mode,
      kind: 'LockManager',
      timeout: r.ifAvailable ? 0 : (r.timeout ?? Infinity),
    };
    const observe = acquireChannel.hasSubscribers;
    if (debugEnabled)
      debug('request %s %s (%s)', mode, resource.name, r.ifAvailable ? 'ifAvailable' : `timeout ${context.timeout} ms`);

    if (r.ifAvailable) {
      let guard: LockGuard | null;
      try {
        guard = quietTry(resource.lock, rwMode);
      } catch (error) {
        return Promise.reject(error);
      }
      const entry = guard === null ? null : addEntry(resource.key, mode);
      if (entry !== null) markHeld(entry);
      if (observe) traceTry(context, guard !== null, guard?.abandoned ?? false);
      return Promise.resolve(guard).then((g) =>
        this.#granted(g, resource.key, entry, g === null ? null : lock, callback, undefined),
      ) as Promise<T>;
    }

    const entry = addEntry(resource.key, mode);
    const acquire = (): Promise<LockGuard> => {
      const guard = quietTry(resource.lock, rwMode);
      if (guard !== null) {
        markHeld(entry);
        return Promise.resolve(guard);
      }
      return quietAcquire(resource.lock, rwMode, { signal: r.signal, timeout: r.timeout }).then((g) => {
        markHeld(entry);
        return g;
      });
    };
    let acquired: Promise<LockGuard>;
    try {
      acquired = observe ? traceAcquire(context, acquire) : acquire();
    } catch (error) {
      dropEntry(resource.key, entry);
      return Promise.reject(error);
    }
    return acquired.then(
      (g) => this.#granted(g, resource.key, entry, lock, callback, r.signal),
      (error: unknown) => {
        dropEntry(resource.key, entry);
        if (error instanceof InterlockError && error.code === 'ERR_LOCK_TIMEOUT') {
          throw new LockTimeoutError(
            `timed out after ${r.timeout} ms waiting for the ${mode} lock ${JSON.stringify(resource.name)}`,
          );
        }
        throw error;
      },
    ) as Promise<T>;
  }

  /**
   * Held and pending requests of every process, for every name this manager's prefix has used. Each
   * process records the names it uses in a shared table of 4095 names (the `SharedMemory`
   * `<prefix>-.registry`, created here if it does not exist yet); past that, a name is listed only by
   * the processes that use it. Locks are looked at read-only, without attaching to them or recovering
   * dead holders (dead ones are left out); a name whose lock was unlinked is skipped.
   *
   * @returns The held and pending requests.
   * @throws Rejects with an {@link InterlockError}: `ERR_INCOMPATIBLE` (the registry is not one),
   * `ERR_NO_SPACE`, an errno code such as `'EACCES'` (the OS failed), `ERR_UNSUPPORTED_PLATFORM`.
   *
   * @example
   * ```ts
   * const { held, pending } = await locks.query(); // [{ name, mode, clientId: '4242', pid: 4242 }, ...]
   * ```
   */
  query(): Promise<LockManagerSnapshot> {
    try {
      return Promise.resolve(this.#query());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #granted(
    guard: LockGuard | null,
    key: string,
    entry: Entry | null,
    lock: Lock | null,
    callback: LockGrantedCallback<unknown>,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const since = guard !== null && releaseChannel.hasSubscribers ? now() : 0;
    try {
      // Granted, but aborted before the callback could run: the request never got the lock.
      if (signal?.aborted) throw abortReason(signal);
      return await callback(lock);
    } finally {
      if (guard !== null) {
        guard.release();
        if ((releaseChannel.hasSubscribers || debugEnabled) && lock !== null) {
          const heldMs = since > 0 ? now() - since : undefined;
          publishRelease({ name: lock.name, mode: lock.mode, kind: 'LockManager', heldMs });
        }
      }
      dropEntry(key, entry);
    }
  }

  // The steps of the Web Locks standard's request(), with its WebIDL conversions: what code written
  // for navigator.locks expects (TypeErrors for bad arguments, NotSupportedError DOMExceptions for
  // what the standard refuses), then what this manager cannot do across processes.
  #parse(rawName: unknown, args: unknown[]): ParsedRequest {
    if (args.length === 0) {
      throw invalidArgType('callback', 'of type function', undefined);
    }
    const name = domString(rawName, 'name');
    const options = lockOptions(args.length >= 2 ? args[0] : undefined);
    const callback = args.length >= 2 ? args[1] : args[0];
    if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    const { mode, ifAvailable, steal, signal, timeout } = options;
    if (name.startsWith('-')) throw notSupported(`lock names cannot start with '-' (${JSON.stringify(name)})`);
    if (steal && ifAvailable) throw notSupported('options.steal and options.ifAvailable cannot both be true');
    if (steal && mode !== 'exclusive') throw notSupported("options.steal needs mode 'exclusive'");
    if (signal !== undefined && (steal || ifAvailable)) {
      throw notSupported('options.signal cannot be used with options.steal or options.ifAvailable');
    }
    if (signal?.aborted) throw abortReason(signal);
    // What the standard allows and a lock of the operating system cannot do.
    if (steal)
      throw notSupported('options.steal is not supported: a lock held by another process cannot be taken from it');
    if (ifAvailable && timeout !== undefined) {
      throw notSupported('options.timeout cannot be used with options.ifAvailable');
    }
    return {
      resource: this.#resource(name, true),
      mode,
      ifAvailable,
      signal,
      timeout,
      callback: callback as LockGrantedCallback<unknown>,
    };
  }

  // A request's name is checked already (a DOMString, no '-'); lockName()'s is not.
  #mapped(name: string, forRequest = false): string {
    if (!forRequest) {
      if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
      if (name.startsWith('-')) throw invalidName(`lock names cannot start with '-' (${JSON.stringify(name)})`);
    }
    const mapped = encodeName(name);
    if (this.prefix.length + mapped.length > MAX_NAME_LENGTH) {
      const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
      const message = `the lock name ${shown} is too long: with the prefix its interlocked form '${this.prefix}${mapped.slice(0, 20)}…' has ${this.prefix.length + mapped.length} characters, more than ${MAX_NAME_LENGTH}`;
      throw forRequest ? notSupported(message) : invalidName(message);
    }
    return mapped;
  }

  #resource(name: string, forRequest = false): Resource {
    const cached = this.#resources.get(name);
    if (cached !== undefined) return cached;
    const mapped = this.#mapped(name, forRequest);
    const osName = this.prefix + mapped;
    const lock = RwLock.open(osName, { scope: this.scope });
    try {
      this.#registry.add(mapped);
    } catch (error) {
      lock.close();
      throw error;
    }
    const resource: Resource = { name, mapped, key: `${this.scope}:${osName}`, lock };
    this.#resources.set(name, resource);
    return resource;
  }

  #inspect(osName: string): NativeLockInfo | null {
    // A look that attaches to nothing and creates nothing (a name of the registry may have been
    // unlinked since, and every slot of the lock may be taken): dead holders show as not alive.
    try {
      return addon.peekLock(osName, this.scope === 'global');
    } catch (error) {
      // Being initialised right now (made again after an unlink), or not a lock: nothing held there.
      if (error instanceof InterlockError && error.code === 'ERR_INCOMPATIBLE') return null;
      throw error;
    }
  }

  #query(): LockManagerSnapshot {
    const names = new Map<string, string>(); // mapped -> name
    for (const mapped of this.#registry.list()) {
      const name = decodeName(mapped);
      if (name !== null && this.prefix.length + mapped.length <= MAX_NAME_LENGTH) names.set(mapped, name);
    }
    for (const r of this.#resources.values()) names.set(r.mapped, r.name);

    const me = process.pid;
    const held: Row[] = [];
    const pending: Row[] = [];
    const otherPending: Row[] = [];
    const row = (name: string, mode: LockMode, pid: number, time: number, seq: number): Row => ({
      snapshot: { name, mode, clientId: String(pid), pid },
      time,
      seq,
    });

    for (const [mapped, name] of names) {
      const osName = this.prefix + mapped;
      const info = this.#inspect(osName);
      if (info === null) continue;
      const mine = [...(journals.get(`${this.scope}:${osName}`) ?? [])];
      const count = (held: boolean, mode: LockMode) => mine.filter((e) => e.held === held && e.mode === mode).length;

      // Held: the writer and the readers, one row per hold; this thread's own from the journal.
      const holders: { pid: number; mode: LockMode; count: number; since: number }[] = [];
      if (info.writer !== null && info.writer.alive) {
        holders.push({ pid: info.writer.pid, mode: 'exclusive', count: 1, since: info.writer.since ?? 0 });
      }
      for (const r of info.readers) {
        if (r.alive) holders.push({ pid: r.pid, mode: 'shared', count: r.count, since: r.since ?? 0 });
      }
      for (const h of holders) {
        const extra = h.pid === me ? Math.max(0, h.count - count(true, h.mode)) : h.count;
        for (let i = 0; i < extra; i++) held.push(row(name, h.mode, h.pid, h.since, 0));
      }
      for (const e of mine) if (e.held) held.push(row(name, e.mode, me, e.time, e.grantSeq));

      // Pending: per-process queue counts; this thread's own requests from the journal, in order.
      for (const w of info.waiters ?? []) {
        if (!w.alive) continue;
        for (const [mode, n] of [
          ['exclusive', w.writers],
          ['shared', w.readers],
        ] as const) {
          const extra = w.pid === me ? Math.max(0, n - count(false, mode)) : n;
          for (let i = 0; i < extra; i++) otherPending.push(row(name, mode, w.pid, 0, 0));
        }
      }
      for (const e of mine) if (!e.held) pending.push(row(name, e.mode, me, 0, e.seq));
    }

    held.sort((a, b) => a.time - b.time || a.seq - b.seq);
    pending.sort((a, b) => a.seq - b.seq);
    return {
      held: held.map((r) => r.snapshot),
      pending: [...pending, ...otherPending].map((r) => r.snapshot),
    };
  }
}

/**
 * The default manager: prefix `'weblocks.'`, scope `'local'`. The counterpart of `navigator.locks`.
 */
export const locks = new LockManager();
