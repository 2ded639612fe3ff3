import {
  ObjectKind,
  Status,
  addon,
  forgetRequest,
  onCompletion,
  type NativeLockInfo,
  type NativeRwLock,
} from './binding.js';
import {
  acquireChannel,
  debug,
  debugEnabled,
  now,
  releaseChannel,
  traceAcquire,
  traceTry,
  type AcquireContext,
} from './diagnostics.js';
import { InterlockError, LockTimeoutError, invalidArgType } from './errors.js';
import { LockGuard, type GuardOwner } from './lock-guard.js';
import {
  COMMON_KEYS,
  MAX_PROCESSES_LIMIT,
  SCOPE_KEYS,
  abortReason,
  checkAcquire,
  checkCommon,
  checkName,
  checkObject,
  checkPositiveInteger,
  type AcquireOptions,
  type CommonOptions,
} from './options.js';

/** Options of `RwLock.open()`, besides `scope` and `mode`. */
export interface RwLockOptions extends CommonOptions {
  /**
   * Process slots, fixed by whoever creates the lock (1 to 1024; 64 when the creator gives none).
   * Given when opening an existing lock, it must match: otherwise `ERR_INCOMPATIBLE`.
   */
  maxProcesses?: number | undefined;
}

/** A process that holds a lock, as `inspect()` and `peek()` report it. */
export interface Holder {
  /** Its process id. */
  pid: number;
  /** How many holds it has (always 1 for the writer). */
  count: number;
  /** When the hold began, ms since the epoch. */
  since?: number;
  /** False when the holder is dead and not yet recovered. */
  alive: boolean;
}

/**
 * A lock's state at one instant, from `RwLock.inspect()` or `RwLock.peek()`: for monitoring and
 * debugging (it may have changed by the time it is read).
 */
export interface LockInfo {
  /** The lock's name. */
  name: string;
  /** The process holding the write lock, or null (a writer still waiting for readers to drain is not). */
  writer: Holder | null;
  /** One entry per process, with its count of read holds. */
  readers: Holder[];
  /** Requests waiting, over all live processes: `readers` reads and `writers` writes (a dead process's queue is in `waiters`, with `alive: false`, until its slot is recovered). */
  waiting: { readers: number; writers: number };
  /**
   * Per process with queued requests: its `pid`, how many reads (`readers`) and writes (`writers`) it
   * has waiting, and whether it is `alive`.
   */
  waiters: Array<{ pid: number; readers: number; writers: number; alive: boolean }>;
  /** A writer died inside and no writer has called `markConsistent()` since (see `LockGuard.abandoned`). */
  abandoned: boolean;
  /** The process slots of this lock, and how many are attached now. */
  maxProcesses: number;
  /** How many processes have the lock open now (attached slots). */
  processes: number;
  /** Of those, the ones alive (a dead one's slot is taken back by the next process that recovers). */
  liveProcesses: number;
}

type Mode = 'read' | 'write';

function tooManyGuards(name: string): InterlockError {
  return new InterlockError('ERR_TOO_MANY_GUARDS', `this process already holds 2^20 guards of the lock '${name}'`);
}

function lockInfo(name: string, info: NativeLockInfo): LockInfo {
  return {
    name,
    writer: info.writer,
    readers: info.readers,
    waiting: { readers: info.waitingReaders, writers: info.waitingWriters },
    waiters: info.waiters,
    abandoned: info.abandoned,
    maxProcesses: info.maxProcesses,
    processes: info.processes,
    liveProcesses: info.liveProcesses,
  };
}

/**
 * Locks with held guards. A held lock is released only by `release()`, `close()`, or the end of its
 * thread or process, never by the garbage collector: a handle that holds something stays reachable
 * from here, like a mutex nobody unlocked, even when the program dropped every reference to it.
 * (Pending requests keep theirs through the completion table of ./binding.ts.)
 */
const holding: RwLock[] = [];

const OPEN_KEYS = ['maxProcesses', ...COMMON_KEYS] as const;

/**
 * @internal Acquisitions whose tracing and release reports belong to the caller (LockManager).
 * Module functions set by RwLock's static block (not methods: a symbol-keyed method on the class
 * cost W1 some 10 ns).
 */
export let quietTry: (lock: RwLock, mode: 'read' | 'write') => LockGuard | null;
/** @internal */
export let quietAcquire: (
  lock: RwLock,
  mode: 'read' | 'write',
  options: AcquireOptions | undefined,
) => Promise<LockGuard>;

function observed(): boolean {
  return acquireChannel.hasSubscribers || debugEnabled;
}

/**
 * A reader/writer lock shared by every process and thread that opens the same name. Waits run on a
 * native waiter thread, never on the event loop or the libuv threadpool.
 *
 * - **Eventually fair**: a free lock may be taken past waiters younger than 2 ms (a running process
 *   goes on without a wake-up per operation); a waiter older than that is served before anyone else.
 *   A release wakes one waiter, the oldest.
 * - **FIFO within a process**: requests of one process (all its threads) queue in order.
 * - **Held by the guard, not by a thread**, and **not reentrant**: a second `write()` from the holder
 *   waits like anyone else.
 * - **Held until released**: by `release()`, `close()`, or the end of the Worker or process that holds
 *   it, never by the garbage collector. A Worker or process that dies holding the write lock makes the
 *   next guard `abandoned`; its locks pass on within milliseconds.
 *
 * @example
 * ```ts
 * import { RwLock } from 'interlocked';
 *
 * const lock = RwLock.open('jobs.db'); // the same lock in every process that opens 'jobs.db'
 * {
 *   using guard = await lock.write({ timeout: 5_000 }); // released at the end of the block
 *   if (guard.abandoned) repair();
 *   update();
 * }
 * const count = await lock.withRead(() => readCount());
 * ```
 */
export class RwLock implements Disposable {
  /** The name it was opened with. */
  readonly name: string;
  #handle: NativeRwLock | null;
  readonly #pending = new Map<number, (error: unknown) => void>();
  #held = 0; // guards of this handle not yet released
  #holdingIndex = -1; // where this lock is in `holding` while #held > 0
  readonly #owner: GuardOwner;

  private constructor(name: string, handle: NativeRwLock) {
    this.name = name;
    this.#handle = handle;
    // What this lock's guards call back into: not part of the lock's public surface.
    this.#owner = {
      name,
      closed: () => this.#handle === null,
      release: (guardId) => {
        if (this.#handle?.release(guardId) === true && --this.#held === 0) this.#unhold();
      },
      downgrade: (guardId) => this.#native().downgrade(guardId),
      markConsistent: (guardId) => this.#native().markConsistent(guardId),
    };
  }

  /**
   * Opens the lock `name`, creating it if it does not exist, and attaches this process to one of its
   * slots (one slot per process, however many handles it opens). Never waits for the lock.
   *
   * @param name - 1 to 200 characters of `[A-Za-z0-9._-]`.
   * @param options - `maxProcesses`, `scope`, `mode`.
   * @returns The open handle; close it with `close()` (or `using`).
   * @throws For a bad argument (before any system call), a `TypeError` or `RangeError` that is also an
   * {@link InterlockError}: `ERR_INVALID_ARG_TYPE` (the name, options or an option of the wrong type),
   * `ERR_INVALID_NAME` (the name), `ERR_INVALID_ARG_VALUE` (an unknown option key, a bad `scope`),
   * `ERR_OUT_OF_RANGE` (`maxProcesses` not an integer from 1 to 1024, `mode`). Otherwise an
   * {@link InterlockError} with `code`:
   * `ERR_INCOMPATIBLE` (`maxProcesses` given and different from the existing lock's; the name exists
   * but is not an interlocked lock, is of another version, or is corrupt);
   * `ERR_TOO_MANY_PROCESSES` (every slot is taken by a live process);
   * `ERR_NO_SPACE`; an errno name such as `'EACCES'` (the OS failed; on Windows `'EPERM'` for a
   * `'global'` creation without SeCreateGlobalPrivilege);
   * `ERR_UNSUPPORTED_PLATFORM` (no native support here).
   */
  static open(name: string, options?: RwLockOptions): RwLock {
    checkName(name);
    const o = checkObject<RwLockOptions>(options, 'options', OPEN_KEYS);
    const { global, mode } = checkCommon(o);
    // 0: the caller does not care; an existing lock keeps its count, a new one gets the default.
    const maxProcesses =
      o.maxProcesses === undefined
        ? 0
        : checkPositiveInteger(o.maxProcesses, 'options.maxProcesses', MAX_PROCESSES_LIMIT);
    const lock = new RwLock(name, new addon.RwLockHandle(name, maxProcesses, mode, global));
    if (debugEnabled) debug('opened lock %s (%d process slots)', name, lock.inspect().maxProcesses);
    return lock;
  }

  /**
   * Removes the lock's name. Only for a lock no process uses any more: a process that opens the name
   * afterwards gets a new lock, not the one others still hold. True if a name was removed.
   * On Windows a no-op (a named object lives while it is open): `false`.
   *
   * @param name - The lock's name.
   * @param options - `scope` (Windows; ignored on POSIX).
   * @returns `true` if a name was removed, `false` if there was none.
   * @throws A `TypeError` (also an {@link InterlockError}) for a bad argument: `ERR_INVALID_ARG_TYPE`,
   * `ERR_INVALID_ARG_VALUE`, `ERR_INVALID_NAME`. An {@link InterlockError} with an errno code
   * (`'EACCES'`, ...) when the OS refuses, or `ERR_UNSUPPORTED_PLATFORM`.
   */
  static unlink(name: string, options?: Pick<CommonOptions, 'scope'>): boolean {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options', SCOPE_KEYS));
    return addon.unlink(ObjectKind.Lock, name, global);
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /**
   * Takes the read (shared) lock, waiting on a native waiter thread if needed: the event loop never
   * blocks. Readers share the lock; a writer holding it, or waiting for it, makes readers wait.
   * Uncontended, it resolves without a thread hop or system call.
   *
   * @param options - `timeout` (ms, default `Infinity`; `0`: only if free now) and `signal`.
   * @returns A guard holding the read lock; release it (`using` does).
   * @throws Rejects (never throws) with {@link LockTimeoutError} when the timeout passes, with the
   * signal's reason when `signal` aborts (an `AbortError` `DOMException` by default), or with an
   * {@link InterlockError}: `ERR_CLOSED` (the handle is or gets closed), `ERR_TOO_MANY_GUARDS` (2^20
   * guards of this lock held in this process), an errno name such as `'EAGAIN'` (no waiter thread
   * could be started); for bad options, a `TypeError` or `RangeError` (`ERR_INVALID_ARG_TYPE`,
   * `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`).
   */
  read(options?: AcquireOptions): Promise<LockGuard> {
    return observed() ? this.#observedAcquire('read', options) : this.#acquire('read', options, false);
  }

  /**
   * Takes the write (exclusive) lock, waiting on a native waiter thread if needed: the event loop
   * never blocks. A waiting writer keeps new readers out; readers already inside finish first.
   *
   * @param options - `timeout` (ms, default `Infinity`; `0`: only if free now) and `signal`.
   * @returns A guard holding the write lock; check `guard.abandoned`, and release it (`using` does).
   * @throws Rejects (never throws) with {@link LockTimeoutError} when the timeout passes, with the
   * signal's reason when `signal` aborts (an `AbortError` `DOMException` by default), or with an
   * {@link InterlockError}: `ERR_CLOSED` (the handle is or gets closed), `ERR_TOO_MANY_GUARDS` (2^20
   * guards of this lock held in this process), an errno name such as `'EAGAIN'` (no waiter thread
   * could be started); for bad options, a `TypeError` or `RangeError` (`ERR_INVALID_ARG_TYPE`,
   * `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`).
   *
   * @example
   * ```ts
   * await using guard = await lock.write({ signal: AbortSignal.timeout(500) });
   * ```
   */
  write(options?: AcquireOptions): Promise<LockGuard> {
    return observed() ? this.#observedAcquire('write', options) : this.#acquire('write', options, false);
  }

  /**
   * Takes the read lock if that needs no waiting; never waits. A dead process in the way (checked at
   * most every 10 ms per lock) is recovered, and the try made again.
   *
   * @returns A guard, or `null` when a writer holds or waits for the lock, or a request of this
   * process already waits for it (no overtaking within a process).
   * @throws An {@link InterlockError} `ERR_CLOSED` (the handle is closed), `ERR_TOO_MANY_GUARDS`.
   */
  tryRead(): LockGuard | null {
    return observed() ? this.#observedTry('read') : this.#try('read', false);
  }

  /**
   * Takes the write lock if that needs no waiting; never waits. A dead process in the way (checked at
   * most every 10 ms per lock) is recovered, and the try made again.
   *
   * @returns A guard, or `null` when the lock is held, or a request of this process already waits
   * for it (no overtaking within a process).
   * @throws An {@link InterlockError} `ERR_CLOSED` (the handle is closed), `ERR_TOO_MANY_GUARDS`.
   *
   * @example
   * ```ts
   * // one instance per machine: the guard is held for the life of the process
   * if (!RwLock.open('app.instance').tryWrite()) process.exit(1);
   * ```
   */
  tryWrite(): LockGuard | null {
    return observed() ? this.#observedTry('write') : this.#try('write', false);
  }

  static {
    quietTry = (lock, mode) => lock.#try(mode, true);
    quietAcquire = (lock, mode, options) => lock.#acquire(mode, options, true);
  }

  #context(mode: Mode, timeout: unknown): AcquireContext {
    return { name: this.name, mode, kind: 'RwLock', timeout: typeof timeout === 'number' ? timeout : Infinity };
  }

  #observedTry(mode: Mode): LockGuard | null {
    const guard = this.#try(mode, false);
    if (debugEnabled) debug('try %s %s: %s', mode, this.name, guard === null ? 'busy' : 'granted');
    if (acquireChannel.hasSubscribers) traceTry(this.#context(mode, 0), guard !== null, guard?.abandoned ?? false);
    return guard;
  }

  #observedAcquire(mode: Mode, options: AcquireOptions | undefined): Promise<LockGuard> {
    // (An uncontended request is granted before it waits: the log says 'granted after 0.0x ms'.)
    const context = this.#context(mode, (options as { timeout?: unknown } | undefined)?.timeout);
    if (debugEnabled) debug('acquire %s %s (timeout %s ms)', mode, this.name, context.timeout);
    const acquire = () => this.#acquire(mode, options, false);
    const started = now();
    const acquired = acquireChannel.hasSubscribers ? traceAcquire(context, acquire) : acquire();
    if (!debugEnabled) return acquired;
    return acquired.then(
      (guard) => {
        const waited = (now() - started).toFixed(3);
        debug('granted %s %s after %s ms%s', mode, this.name, waited, guard.abandoned ? ' (abandoned)' : '');
        return guard;
      },
      (error: unknown) => {
        debug('%s %s failed: %s', mode, this.name, (error as Error)?.message ?? error);
        throw error;
      },
    );
  }

  /**
   * Runs `fn` under the read lock and releases it when `fn` settles.
   *
   * @param fn - Called with the guard once the lock is granted.
   * @param options - As for {@link RwLock.read}.
   * @returns Resolves with what `fn` returns (or resolves to).
   * @throws Rejects with what `fn` throws, with what `read()` rejects with, or with
   * `TypeError` `ERR_INVALID_ARG_TYPE` when `fn` is not a function.
   */
  withRead<T>(fn: (guard: LockGuard) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    return this.#with('read', fn, options);
  }

  /**
   * Runs `fn` under the write lock and releases it when `fn` settles.
   *
   * @param fn - Called with the guard once the lock is granted.
   * @param options - As for {@link RwLock.write}.
   * @returns Resolves with what `fn` returns (or resolves to).
   * @throws Rejects with what `fn` throws, with what `write()` rejects with, or with
   * `TypeError` `ERR_INVALID_ARG_TYPE` when `fn` is not a function.
   *
   * @example
   * ```ts
   * await lock.withWrite(async (guard) => {
   *   if (guard.abandoned) await rebuild();
   *   await append(entry);
   * }, { timeout: 1_000 });
   * ```
   */
  withWrite<T>(fn: (guard: LockGuard) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    return this.#with('write', fn, options);
  }

  /**
   * The lock's state: holders (with pids, counts, liveness), waiting requests, abandoned, slots.
   *
   * @returns A snapshot; it may be stale as soon as it is returned.
   * @throws An {@link InterlockError} `ERR_CLOSED` when the handle is closed.
   */
  inspect(): LockInfo {
    return lockInfo(this.name, this.#native().inspect());
  }

  /**
   * An existing lock's state, looked at without opening it: no process slot is taken, nothing is
   * recovered (dead holders show with `alive: false`), nothing is created or written (the segment is
   * mapped read-only). Null when there is no lock of that name. For monitoring tools; the
   * `interlocked` command line uses it.
   *
   * @param name - The lock's name.
   * @param options - `scope` (Windows; ignored on POSIX).
   * @returns The lock's state, or `null` when there is no lock of that name.
   * @throws A `TypeError` (also an {@link InterlockError}) for a bad argument: `ERR_INVALID_ARG_TYPE`,
   * `ERR_INVALID_ARG_VALUE`, `ERR_INVALID_NAME`. An {@link InterlockError} with `code`
   * `ERR_INCOMPATIBLE` (the name is not an interlocked lock, of another version, or corrupt), an errno
   * code (`'EACCES'`, ...) when the OS refuses, or `ERR_UNSUPPORTED_PLATFORM`.
   */
  static peek(name: string, options?: Pick<CommonOptions, 'scope'>): LockInfo | null {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options', SCOPE_KEYS));
    const info = addon.peekLock(name, global);
    return info === null ? null : lockInfo(name, info);
  }

  /**
   * Pending requests reject with ERR_CLOSED; guards of this handle are released. Idempotent.
   * (Guards released this way are not reported as `abandoned`.) Other handles of the lock, in this
   * process or others, are unaffected. Never throws.
   */
  close(): void {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    handle.close();
    if (this.#held > 0) this.#unhold();
    this.#held = 0;
    const error = new InterlockError('ERR_CLOSED', `the lock '${this.name}' was closed`);
    for (const reject of [...this.#pending.values()]) reject(error);
  }

  /** The same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #native(): NativeRwLock {
    if (this.#handle === null) throw new InterlockError('ERR_CLOSED', `the lock '${this.name}' is closed`);
    return this.#handle;
  }

  /** A guard for a grant (token: guardId * 2 + abandoned); the handle now holds something. */
  #guard(mode: Mode, token: number, quiet: boolean): LockGuard {
    if (this.#held++ === 0) this.#holdingIndex = holding.push(this) - 1;
    const since = quiet ? -1 : releaseChannel.hasSubscribers ? now() : 0;
    return new LockGuard(this.#owner, mode, token, since);
  }

  // O(1) and allocation-free (this runs on every uncontended acquire/release): the last entry
  // takes this one's place.
  #unhold(): void {
    const last = holding.pop()!;
    if (last !== this) {
      holding[this.#holdingIndex] = last;
      last.#holdingIndex = this.#holdingIndex;
    }
    this.#holdingIndex = -1;
  }

  async #with<T>(mode: Mode, fn: (guard: LockGuard) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    if (typeof fn !== 'function') {
      throw invalidArgType('fn', 'of type function', fn);
    }
    using guard = await (observed() ? this.#observedAcquire(mode, options) : this.#acquire(mode, options, false));
    return await fn(guard);
  }

  #try(mode: Mode, quiet: boolean): LockGuard | null {
    const token = this.#native().tryAcquire(mode === 'write' ? 1 : 0);
    return token === 0 ? null : this.#guard(mode, token, quiet);
  }

  #acquire(mode: Mode, options: AcquireOptions | undefined, quiet: boolean): Promise<LockGuard> {
    let handle: NativeRwLock;
    let timeout: number;
    let signal: AbortSignal | undefined;
    try {
      handle = this.#native();
      ({ timeout, signal } = checkAcquire(options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const m = mode === 'write' ? 1 : 0;
    const timedOut = () => new LockTimeoutError(`timed out after ${timeout} ms waiting to ${mode} '${this.name}'`);
    let r: number;
    try {
      if (timeout === 0) {
        const token = handle.tryAcquire(m);
        return token === 0 ? Promise.reject(timedOut()) : Promise.resolve(this.#guard(mode, token, quiet));
      }
      r = handle.acquire(m, timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    if (r > 0) return Promise.resolve(this.#guard(mode, r, quiet));
    const requestId = -r;
    return new Promise<LockGuard>((resolve, reject) => {
      const finish = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(requestId);
      };
      const onAbort = () => {
        finish();
        // A grant already on its way to us is released natively: by cancel() (revoked), or when
        // its completion finds nobody waiting for it.
        handle.cancel(requestId);
        forgetRequest(requestId);
        reject(abortReason(signal!));
      };
      onCompletion(requestId, (status, token) => {
        finish();
        if (status === Status.Granted) resolve(this.#guard(mode, token, quiet));
        else if (status === Status.TooManyGuards) reject(tooManyGuards(this.name));
        else reject(timedOut());
      });
      this.#pending.set(requestId, (error) => {
        finish();
        forgetRequest(requestId);
        reject(error);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
