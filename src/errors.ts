// The errors of the library, in the shapes the Node.js ecosystem already handles: bad arguments as
// Node core throws them (TypeError / RangeError with ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE,
// ERR_OUT_OF_RANGE), OS failures as Node's system errors (code 'EACCES', negative errno, syscall,
// path), and lock and object failures with their own stable codes. Every one of them is
// `instanceof InterlockError`.
import { getSystemErrorName, inspect } from 'node:util';

/**
 * Codes of the lock and object errors: stable, and listed in the README. (Bad arguments carry Node's
 * codes instead, `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`, and OS failures
 * the errno name, `'EACCES'`, ...)
 *
 * - `ERR_LOCK_TIMEOUT`: the timeout passed ({@link LockTimeoutError}).
 * - `ERR_INVALID_NAME`: a string name outside 1 to 200 characters of `[A-Za-z0-9._-]`, or a
 *   LockManager prefix outside its rules (a `TypeError`).
 * - `ERR_EXISTS` / `ERR_NOT_FOUND`: `create: 'exclusive'` and the name exists / `create: false` (or no
 *   `size`) and it does not.
 * - `ERR_SIZE_MISMATCH`: an existing segment is smaller than the `size` asked.
 * - `ERR_INCOMPATIBLE`: the object exists but is not ours, of another version, corrupt, or was created
 *   with other fixed settings (`maxProcesses`, `manualReset`).
 * - `ERR_TOO_MANY_PROCESSES`: every slot of the lock is taken by a live process.
 * - `ERR_TOO_MANY_GUARDS`: this process already holds 2^20 guards of that lock.
 * - `ERR_NO_SPACE`: no room for a new segment (a full `/dev/shm`, the commit limit).
 * - `ERR_UNSUPPORTED_PLATFORM`: no native support on this platform (at the first use of a native
 *   object).
 * - `ERR_CLOSED`: the handle was closed.
 * - `ERR_NOT_HELD`: `downgrade()` / `markConsistent()` on a released or read guard.
 * - `ERR_SYSTEM`: an OS failure with no errno (the addon could not be loaded, ...).
 */
export type InterlockErrorCode =
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_INVALID_NAME'
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
  | 'ERR_SYSTEM';

/** Codes of bad-argument errors, as Node core uses them. */
export type ArgumentErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

/**
 * The code of an OS failure: the errno name, as Node's system errors carry it (`'EACCES'`,
 * `'EMFILE'`, ...). (The `& {}` keeps the `ERR_` literals of the other codes from collapsing into
 * it, so editors still complete and narrow them.)
 */
export type SystemErrorCode = `E${string}` & {};

/** What an {@link InterlockError} carries besides its code and message. */
export interface InterlockErrorOptions {
  /** The error this one wraps, as `Error.cause`. */
  cause?: unknown | undefined;
  /** The OS error number, negative as in Node's system errors. */
  errno?: number | undefined;
  /** The OS call that failed. */
  syscall?: string | undefined;
  /** The OS object the call was about (`/dev/shm/...`, `Local\...`). */
  path?: string | undefined;
}

// Marks the argument errors (which extend TypeError or RangeError) as InterlockErrors too.
const kInterlock = Symbol('interlocked.error');

function setNodeFields(error: Error, options: InterlockErrorOptions): void {
  const fields = error as Error & { errno?: number; syscall?: string; path?: string };
  if (options.errno) fields.errno = options.errno;
  if (options.syscall) fields.syscall = options.syscall;
  if (options.path) fields.path = options.path;
}

/**
 * The error class of the library: check `code`, never the message. Bad-argument errors are Node's
 * `TypeError`s and `RangeError`s, and `instanceof InterlockError` holds for them too.
 *
 * - Bad arguments: a `TypeError` with `ERR_INVALID_ARG_TYPE` (wrong type), `ERR_INVALID_ARG_VALUE` (a
 *   value an option cannot take, an unknown option key) or `ERR_INVALID_NAME`; a `RangeError` with
 *   `ERR_OUT_OF_RANGE` (a number out of its range). Thrown before any system call.
 * - OS failures: `code` the errno name (`'EACCES'`, `'EMFILE'`, ...), `errno` negative as in Node
 *   (on Windows the libuv code), `syscall`, and `path`, the OS object.
 * - Lock and object failures: an {@link InterlockErrorCode}.
 *
 * @example
 * ```ts
 * import { InterlockError, SharedMemory } from 'interlocked';
 *
 * try {
 *   SharedMemory.open('frames', { create: false });
 * } catch (error) {
 *   if (error instanceof InterlockError && error.code === 'ERR_NOT_FOUND') console.log('not there yet');
 *   else throw error;
 * }
 * ```
 */
export class InterlockError extends Error {
  /** What to check, instead of the message: an {@link InterlockErrorCode}, Node's argument code, or an errno name. */
  readonly code: InterlockErrorCode | ArgumentErrorCode | SystemErrorCode;
  /** Negative, as in Node's system errors, when an OS call failed. */
  declare readonly errno?: number;
  /** The OS call that failed, when one did. */
  declare readonly syscall?: string;
  /** The OS object an OS call failed on (`/dev/shm/interlock.lock.jobs`, `Local\interlock.lock.jobs`). */
  declare readonly path?: string;

  /**
   * Made by the library; construct one yourself only to report the library's kind of failure.
   *
   * @param code - The code.
   * @param message - A human-readable message.
   * @param options - `cause` (the underlying error); `errno`, `syscall` and `path` (an OS call that
   *   failed).
   */
  constructor(
    code: InterlockErrorCode | ArgumentErrorCode | SystemErrorCode,
    message: string,
    options: InterlockErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InterlockError';
    this.code = code;
    setNodeFields(this, options);
  }

  /**
   * Makes `instanceof InterlockError` true for the library's bad-argument `TypeError`s and
   * `RangeError`s as well (only on `InterlockError` itself, not its subclasses).
   *
   * @param value - What `instanceof` tests.
   * @returns Whether `value` is an error of the library.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === InterlockError && typeof value === 'object' && value !== null && kInterlock in value;
  }
}

/**
 * A lock wait whose `timeout` passed: `code` is `'ERR_LOCK_TIMEOUT'`. Rejected by `RwLock.read()`,
 * `write()`, `withRead()`, `withWrite()`, `LockManager.request()` with `timeout`, and `runLocked()`
 * with `spec.timeout`. (A `NamedEvent.wait()` that times out resolves `false` instead.)
 *
 * @example
 * ```ts
 * import { LockTimeoutError, RwLock } from 'interlocked';
 *
 * const lock = RwLock.open('jobs.db');
 * try {
 *   using guard = await lock.write({ timeout: 1_000 });
 *   // ... write
 * } catch (error) {
 *   if (!(error instanceof LockTimeoutError)) throw error;
 *   console.log('busy, try later');
 * }
 * ```
 */
export class LockTimeoutError extends InterlockError {
  /**
   * Made by the library when a timeout passes.
   *
   * @param message - A human-readable message (the code is always `'ERR_LOCK_TIMEOUT'`).
   */
  constructor(message: string) {
    super('ERR_LOCK_TIMEOUT', message);
    this.name = 'LockTimeoutError';
  }
}

// Node's own errors read `TypeError [ERR_X]: message` in their stack and keep `name` 'TypeError'.
function nodeShaped<E extends Error>(error: E, code: string): E {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(error, kInterlock, { value: true });
  const name = error.name;
  error.name = `${name} [${code}]`;
  void error.stack; // V8 formats the stack header now, with the name above
  delete (error as { name?: string }).name;
  return error;
}

function argumentKind(name: string): string {
  return name.includes('.') ? 'property' : 'argument';
}

/** What Node's ERR_INVALID_ARG_TYPE says it received. */
function received(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      return `type number (${Object.is(value, -0) ? '-0' : String(value)})`;
    case 'boolean':
      return `type boolean (${value})`;
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return value.name ? `function ${value.name}` : 'function';
    case 'string': {
      const s = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return `type string (${s.includes("'") ? JSON.stringify(s) : `'${s}'`})`;
    }
    default: {
      const ctor = (value as { constructor?: { name?: unknown } }).constructor;
      if (typeof ctor?.name === 'string' && ctor.name) return `an instance of ${ctor.name}`;
      return inspect(value, { depth: -1 });
    }
  }
}

function shown(value: unknown): string {
  const s = inspect(value);
  return s.length > 128 ? `${s.slice(0, 128)}...` : s;
}

/** TypeError ERR_INVALID_ARG_TYPE: `name` must be of type `expected` (for example 'number', 'an AbortSignal'). */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  return nodeShaped(
    new TypeError(`The "${name}" ${argumentKind(name)} must be ${expected}. Received ${received(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

/** TypeError ERR_INVALID_ARG_VALUE: `name` has the right type and a value it cannot take. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  return nodeShaped(
    new TypeError(`The ${argumentKind(name)} '${name}' ${reason}. Received ${shown(value)}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

/** RangeError ERR_OUT_OF_RANGE: `name` is a number outside `range` (for example '>= 0'). */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  const got = typeof value === 'number' || typeof value === 'bigint' ? String(value) : shown(value);
  return nodeShaped(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${got}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** ERR_INVALID_NAME, a TypeError like the other bad arguments, with the lock code of API.md. */
export function invalidName(message: string): TypeError {
  return nodeShaped(new TypeError(message), 'ERR_INVALID_NAME');
}

/** An argument error with a message made already (the native layer's, or one sent from a Worker). */
function argumentError(code: ArgumentErrorCode | 'ERR_INVALID_NAME', message: string): TypeError | RangeError {
  return nodeShaped(code === 'ERR_OUT_OF_RANGE' ? new RangeError(message) : new TypeError(message), code);
}

/** The error of `code` in its class: rebuilds one that crossed a thread (interlocked/piscina). */
export function errorFromCode(code: string, message: string, options: InterlockErrorOptions = {}): Error {
  switch (code) {
    case 'ERR_INVALID_ARG_TYPE':
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_OUT_OF_RANGE':
    case 'ERR_INVALID_NAME':
      return argumentError(code, message);
    case 'ERR_LOCK_TIMEOUT':
      return new LockTimeoutError(message);
    default:
      return new InterlockError(code as InterlockErrorCode, message, options);
  }
}

/** The errno name of a negative errno, or undefined where the system has none. */
function systemCode(errno: number): SystemErrorCode | undefined {
  try {
    const name = getSystemErrorName(errno);
    return name.startsWith('E') && !name.startsWith('Unknown') ? (name as SystemErrorCode) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the error the native layer throws (it is handed this function at load time). `errno` is
 * negative (the native layer translates Windows errors as libuv does); `path` the OS object.
 */
export function nativeError(code: string, message: string, errno: number, syscall: string, path: string): Error {
  // The addon's own argument checks (the TypeScript layer checks first): a value out of its range.
  if (code === 'ERR_INVALID_ARG') return argumentError('ERR_INVALID_ARG_VALUE', message);
  const options: InterlockErrorOptions = { errno, syscall, path };
  if (errno && (code === 'ERR_SYSTEM' || code === 'ERR_PERMISSION')) {
    // An OS failure with nothing more to say: Node's system error shape ('EACCES: ...').
    const os = systemCode(errno) ?? 'EUNKNOWN';
    const where = syscall ? `, ${syscall}${path ? ` '${path}'` : ''}` : '';
    return new InterlockError(os, `${os}: ${message}${where}`, options);
  }
  return errorFromCode(code, message, options);
}
