export { InterlockError, LockTimeoutError, type InterlockErrorCode } from './errors.js';
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
