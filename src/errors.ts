/** Stable codes of every error the library throws or rejects with (aborts excepted). */
export type InterlockErrorCode =
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_INVALID_NAME'
  | 'ERR_INVALID_ARG'
  | 'ERR_EXISTS'
  | 'ERR_NOT_FOUND'
  | 'ERR_SIZE_MISMATCH'
  | 'ERR_INCOMPATIBLE'
  | 'ERR_TOO_MANY_PROCESSES'
  | 'ERR_TOO_MANY_GUARDS'
  | 'ERR_NO_SPACE'
  | 'ERR_UNSUPPORTED_PLATFORM'
  | 'ERR_CLOSED'
  | 'ERR_NOT_HELD'
  | 'ERR_PERMISSION'
  | 'ERR_SYSTEM';

export interface InterlockErrorOptions {
  cause?: unknown | undefined;
  errno?: number | undefined;
  syscall?: string | undefined;
}

/** The one error class of the library: check `code`, never the message. */
export class InterlockError extends Error {
  readonly code: InterlockErrorCode;
  /** The OS error number, when an OS call failed. */
  readonly errno?: number;
  /** The OS call that failed, when one did. */
  readonly syscall?: string;

  constructor(code: InterlockErrorCode, message: string, options: InterlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InterlockError';
    this.code = code;
    if (options.errno) this.errno = options.errno;
    if (options.syscall) this.syscall = options.syscall;
  }
}

/** A lock or event wait whose `timeout` passed. */
export class LockTimeoutError extends InterlockError {
  constructor(message: string) {
    super('ERR_LOCK_TIMEOUT', message);
    this.name = 'LockTimeoutError';
  }
}

/** Builds the error the native layer throws (it is handed this function at load time). */
export function nativeError(code: string, message: string, errno: number, syscall: string): InterlockError {
  const options: InterlockErrorOptions = {};
  if (errno) {
    const cause = new Error(`${syscall || 'system call'} failed with errno ${errno}`) as NodeJS.ErrnoException;
    cause.errno = errno;
    if (syscall) cause.syscall = syscall;
    options.cause = cause;
    options.errno = errno;
    options.syscall = syscall;
  }
  return new InterlockError(code as InterlockErrorCode, message, options);
}

export function invalidArg(message: string): InterlockError {
  return new InterlockError('ERR_INVALID_ARG', message);
}
