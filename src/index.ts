/**
 * Cross-process reader/writer locks ({@link RwLock}, {@link LockManager}), named events
 * ({@link NamedEvent}) and named shared memory ({@link SharedMemory}) for Node.js, shared by every
 * process and Worker of the machine that opens the same name. Every blocking wait runs on a native
 * waiter thread: the event loop never stalls, and the libuv threadpool is never used for waiting.
 * Every error is an {@link InterlockError} with a stable `code` (aborts excepted: they reject with the
 * signal's reason).
 *
 * @example
 * ```ts
 * import { RwLock, SharedMemory } from 'interlocked';
 *
 * const lock = RwLock.open('frames'); // same name = same lock, in every process
 * const frames = SharedMemory.open('frames', { size: 1 << 20 });
 * {
 *   await using guard = await lock.write({ timeout: 5_000 });
 *   frames.buffer.writeUInt32LE(42, 0);
 * }
 * const seen = await lock.withRead(() => frames.buffer.readUInt32LE(0));
 * ```
 *
 * @module interlocked
 */
export {
  InterlockError,
  LockTimeoutError,
  type InterlockErrorCode,
  type ArgumentErrorCode,
  type SystemErrorCode,
  type InterlockErrorOptions,
} from './errors.js';
export { SharedMemory, MAX_SHARED_MEMORY_SIZE, type SharedMemoryOptions } from './shared-memory.js';
export { NamedEvent, type NamedEventOptions } from './named-event.js';
export { RwLock, type RwLockOptions, type LockInfo, type Holder } from './rwlock.js';
export { LockGuard } from './lock-guard.js';
export type { AcquireOptions, CommonOptions, Scope } from './options.js';
export {
  LockManager,
  locks,
  DEFAULT_LOCK_PREFIX,
  type Lock,
  type LockMode,
  type LockSnapshot,
  type LockManagerSnapshot,
  type LockRequestOptions,
  type LockManagerOptions,
  type LockGrantedCallback,
} from './lock-manager.js';
export type { AcquireContext, AcquireKind, ReleaseMessage, RecoverMessage } from './diagnostics.js';
