import {
  ObjectKind,
  Status,
  addon,
  forgetRequest,
  onCompletion,
  type NativeLockInfo,
  type NativeRwLock,
} from './binding.js';
import { InterlockError, LockTimeoutError } from './errors.js';
import { LockGuard, type GuardOwner } from './lock-guard.js';
import {
  DEFAULT_MAX_PROCESSES,
  MAX_PROCESSES_LIMIT,
  abortReason,
  checkAcquire,
  checkCommon,
  checkName,
  checkObject,
  checkPositiveInteger,
  type AcquireOptions,
  type CommonOptions,
} from './options.js';

export interface RwLockOptions extends CommonOptions {
  /** Process slots, fixed by whoever creates the lock (1 to 1024). Default 64. */
  maxProcesses?: number;
}

export interface Holder {
  pid: number;
  count: number;
  /** When the hold began, ms since the epoch. */
  since?: number;
  /** False when the holder is dead and not yet recovered. */
  alive: boolean;
}

export interface LockInfo {
  name: string;
  writer: Holder | null;
  /** One entry per process, with its count of read holds. */
  readers: Holder[];
  waiting: { readers: number; writers: number };
  /** Per process with queued requests: how many reads and writes it has waiting. */
  waiters: Array<{ pid: number; readers: number; writers: number; alive: boolean }>;
  abandoned: boolean;
  /** The process slots of this lock, and how many are attached now. */
  maxProcesses: number;
  processes: number;
}

type Mode = 'read' | 'write';

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
  };
}

/**
 * A reader/writer lock shared by every process and thread that opens the same name. Writers are
 * preferred; waits run on a native waiter thread, never on the event loop or the libuv threadpool.
 */
export class RwLock implements Disposable, GuardOwner {
  readonly name: string;
  #handle: NativeRwLock | null;
  readonly #pending = new Map<number, (error: unknown) => void>();

  private constructor(name: string, handle: NativeRwLock) {
    this.name = name;
    this.#handle = handle;
  }

  static open(name: string, options?: RwLockOptions): RwLock {
    checkName(name);
    const o = checkObject<RwLockOptions>(options, 'options');
    const { global, mode } = checkCommon(o);
    const maxProcesses =
      o.maxProcesses === undefined
        ? DEFAULT_MAX_PROCESSES
        : checkPositiveInteger(o.maxProcesses, 'options.maxProcesses', MAX_PROCESSES_LIMIT);
    return new RwLock(name, new addon.RwLockHandle(name, maxProcesses, mode, global));
  }

  /**
   * Removes the lock's name. Only for a lock no process uses any more: a process that opens the name
   * afterwards gets a new lock, not the one others still hold. True if a name was removed.
   */
  static unlink(name: string, options?: Pick<CommonOptions, 'scope'>): boolean {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options'));
    return addon.unlink(ObjectKind.Lock, name, global);
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  read(options?: AcquireOptions): Promise<LockGuard> {
    return this.#acquire('read', options);
  }

  write(options?: AcquireOptions): Promise<LockGuard> {
    return this.#acquire('write', options);
  }

  /** Takes the read lock if that needs no waiting; never waits. */
  tryRead(): LockGuard | null {
    return this.#try('read');
  }

  /** Takes the write lock if that needs no waiting; never waits. */
  tryWrite(): LockGuard | null {
    return this.#try('write');
  }

  async withRead<T>(fn: (guard: LockGuard) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    using guard = await this.read(options);
    return await fn(guard);
  }

  async withWrite<T>(fn: (guard: LockGuard) => T | Promise<T>, options?: AcquireOptions): Promise<T> {
    using guard = await this.write(options);
    return await fn(guard);
  }

  inspect(): LockInfo {
    return lockInfo(this.name, this.#native().inspect());
  }

  /**
   * @internal An existing lock's state without opening it (no process slot is taken and nothing is
   * recovered, so dead holders show as dead); null when there is no lock by that name.
   */
  static peek(name: string, options?: Pick<CommonOptions, 'scope'>): LockInfo | null {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options'));
    const info = addon.peekLock(name, global);
    return info === null ? null : lockInfo(name, info);
  }

  /** Pending requests reject with ERR_CLOSED; guards of this handle are released. Idempotent. */
  close(): void {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    handle.close();
    const error = new InterlockError('ERR_CLOSED', `the lock '${this.name}' was closed`);
    for (const reject of [...this.#pending.values()]) reject(error);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal */
  releaseGuard(guardId: number): void {
    this.#handle?.release(guardId);
  }

  /** @internal */
  downgradeGuard(guardId: number): void {
    this.#native().downgrade(guardId);
  }

  /** @internal */
  markConsistentGuard(guardId: number): void {
    this.#native().markConsistent(guardId);
  }

  #native(): NativeRwLock {
    if (this.#handle === null) throw new InterlockError('ERR_CLOSED', `the lock '${this.name}' is closed`);
    return this.#handle;
  }

  #try(mode: Mode): LockGuard | null {
    const token = this.#native().tryAcquire(mode === 'write' ? 1 : 0);
    return token === 0 ? null : new LockGuard(this, mode, token);
  }

  #acquire(mode: Mode, options: AcquireOptions | undefined): Promise<LockGuard> {
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
    if (timeout === 0) {
      const token = handle.tryAcquire(m);
      return token === 0 ? Promise.reject(timedOut()) : Promise.resolve(new LockGuard(this, mode, token));
    }
    const r = handle.acquire(m, timeout);
    if (r > 0) return Promise.resolve(new LockGuard(this, mode, r));
    const requestId = -r;
    return new Promise<LockGuard>((resolve, reject) => {
      const finish = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(requestId);
      };
      const onAbort = () => {
        finish();
        if (handle.cancel(requestId)) {
          forgetRequest(requestId);
        } else {
          // Granted on its way to us: give it back at once.
          onCompletion(requestId, (status, token) => {
            if (status === Status.Granted) handle.release(Math.floor(token / 2));
          });
        }
        reject(abortReason(signal!));
      };
      onCompletion(requestId, (status, token) => {
        finish();
        if (status === Status.Granted) resolve(new LockGuard(this, mode, token));
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
