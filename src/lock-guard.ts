import { debugEnabled, now, publishRelease, releaseChannel } from './diagnostics.js';
import { InterlockError } from './errors.js';

/** @internal What a guard needs from the lock that granted it. */
export interface GuardOwner {
  readonly name: string;
  closed(): boolean;
  release(guardId: number): void;
  downgrade(guardId: number): void;
  markConsistent(guardId: number): void;
}

/**
 * Proof of a held lock. The lock is held by the guard, not by a thread: release it from any
 * continuation of the thread that acquired it. Use `using` / `await using` to release on scope exit.
 *
 * A lock is released only by `release()`, by `close()` of the `RwLock` handle that granted it, or by
 * the end of the Worker or process that holds it: never by the garbage collector. Made by
 * `RwLock.read()`, `write()`, `tryRead()`, `tryWrite()`; not constructible.
 *
 * @example
 * ```ts
 * import { RwLock } from 'interlocked';
 *
 * const lock = RwLock.open('state');
 * {
 *   await using guard = await lock.write();
 *   if (guard.abandoned) {
 *     // a writer died in here: validate or rebuild the data, then
 *     guard.markConsistent();
 *   }
 *   guard.downgrade(); // keep reading; no writer gets in between
 * } // released here
 * ```
 */
export class LockGuard implements Disposable, AsyncDisposable {
  /**
   * True when a writer died inside the lock (its process or Worker ended while it held the write
   * lock) before this grant, and no writer has called `markConsistent()` since: the protected data may
   * be half written. It does not mean the data is wrong, only that it was not proven right: validate
   * it (checksums, sequence numbers, a journal) or rebuild it. Read and write guards both report it.
   */
  readonly abandoned: boolean;
  #mode: 'read' | 'write';
  #owner: GuardOwner;
  #id: number;
  #released = false;
  // When it was granted (for interlocked:release), 0 when nobody listened then; -1: its release is
  // reported by whoever took it (a LockManager request).
  #since: number;

  /** @internal */
  constructor(owner: GuardOwner, mode: 'read' | 'write', token: number, since: number) {
    this.#owner = owner;
    this.#mode = mode;
    this.#id = Math.floor(token / 2);
    this.abandoned = token % 2 === 1;
    this.#since = since;
  }

  /** `'read'` or `'write'`; a write guard becomes `'read'` with `downgrade()`. */
  get mode(): 'read' | 'write' {
    return this.#mode;
  }

  /** True once released, or once the lock handle that granted it was closed. */
  get released(): boolean {
    return this.#released || this.#owner.closed();
  }

  /**
   * Gives the lock back. Idempotent; a no-op once the handle that granted it is closed. Never throws.
   */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#owner.release(this.#id);
    if ((releaseChannel.hasSubscribers || debugEnabled) && this.#since >= 0) {
      const heldMs = this.#since > 0 ? now() - this.#since : undefined;
      publishRelease({ name: this.#owner.name, mode: this.#mode, kind: 'RwLock', heldMs });
    }
  }

  /**
   * Turns a write guard into a read guard without letting any writer in between (a waiting writer
   * comes next, once this read is released). The guard keeps its identity, with `mode === 'read'`.
   *
   * @throws An {@link InterlockError} `ERR_NOT_HELD` when the guard is released (or its handle closed)
   * or is a read guard.
   */
  downgrade(): void {
    this.#requireWrite('downgrade');
    this.#owner.downgrade(this.#id);
    this.#mode = 'read';
  }

  /**
   * Declares the protected data repaired: later holders no longer see `abandoned`, and
   * `inspect().abandoned` is false again. This guard's own `abandoned` does not change.
   *
   * @throws An {@link InterlockError} `ERR_NOT_HELD` when the guard is released (or its handle closed)
   * or is a read guard.
   */
  markConsistent(): void {
    this.#requireWrite('markConsistent');
    this.#owner.markConsistent(this.#id);
  }

  /** The same as `release()`, for `using`. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** The same as `release()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }

  #requireWrite(what: string): void {
    if (this.released || this.#mode !== 'write') {
      throw new InterlockError(
        'ERR_NOT_HELD',
        `${what}() needs a held write guard; this guard is ${this.released ? 'released' : `a ${this.#mode} guard`} of '${this.#owner.name}'`,
      );
    }
  }
}
