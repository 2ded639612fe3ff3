// Argument checks with exact messages, run before any native call. Defaults live here, in one place.
import { invalidArgType, invalidArgValue, invalidName, outOfRange } from './errors.js';

/**
 * The Windows kernel namespace of an object: `'local'` (`Local\`, the processes of one logon session)
 * or `'global'` (`Global\`, every session; creating a `Global\` object needs SeCreateGlobalPrivilege,
 * otherwise `EPERM`). POSIX ignores it.
 */
export type Scope = 'local' | 'global';

/** Options every `open()` takes. */
export interface CommonOptions {
  /** Windows namespace (`Local\` or `Global\`); ignored on POSIX. Default `'local'`. */
  scope?: Scope | undefined;
  /**
   * POSIX permission bits of a created object, an integer from 0 to `0o777` (applied exactly,
   * whatever the umask). Default `0o600`. Ignored for an existing object, and on Windows.
   */
  mode?: number | undefined;
}

/**
 * How long a wait may take: the options of `RwLock.read()`, `write()`, `withRead()`, `withWrite()` and
 * `NamedEvent.wait()`. A wait never blocks the event loop: it runs on a native waiter thread.
 */
export interface AcquireOptions {
  /**
   * Milliseconds to wait; default `Infinity`. `0` fails at once unless the lock is free (or the event
   * set). A deadline on the monotonic clock; a timeout of a century or more (`2 ** 64`,
   * `Number.MAX_VALUE`) waits like `Infinity`. A lock wait that times out rejects with
   * `LockTimeoutError`; an event wait resolves `false`. Not a number: a `TypeError`
   * `ERR_INVALID_ARG_TYPE`; negative or `NaN`: a `RangeError` `ERR_OUT_OF_RANGE`.
   */
  timeout?: number | undefined;
  /**
   * Cancels the wait: it rejects with `signal.reason` (an `AbortError` `DOMException` by default), at
   * once if already aborted. A grant that races the abort is given back.
   */
  signal?: AbortSignal | undefined;
}

export const DEFAULT_MODE = 0o600;
export const DEFAULT_MAX_PROCESSES = 64;
export const MAX_PROCESSES_LIMIT = 1024;

const NAME_PATTERN = /^[A-Za-z0-9._-]{1,200}$/;

export function checkName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string') throw invalidArgType(what, 'of type string', name);
  if (!NAME_PATTERN.test(name)) {
    const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
    throw invalidName(`Invalid name ${shown}: use 1 to 200 characters of A-Z, a-z, 0-9, '.', '_' and '-'`);
  }
  return name;
}

/**
 * An options object (or undefined) whose own keys are all among `keys`: a misspelt option fails
 * loudly instead of being ignored (`{ timout: 10 }` would otherwise wait forever).
 */
export function checkObject<T extends object>(
  options: unknown,
  what: string,
  keys: readonly (keyof T & string)[],
): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidArgType(what, 'of type object', options);
  for (const key in options) {
    if (!Object.hasOwn(options, key) || keys.includes(key as keyof T & string)) continue;
    const known = keys.length === 0 ? 'it takes none' : `the known ones are ${keys.join(', ')}`;
    throw invalidArgValue(what, options, `has an unknown key ${JSON.stringify(key)} (${known})`);
  }
  return options as Partial<T>;
}

export const COMMON_KEYS = ['scope', 'mode'] as const;
export const SCOPE_KEYS = ['scope'] as const;
export const ACQUIRE_KEYS = ['timeout', 'signal'] as const;

export function checkCommon(options: CommonOptions): { global: boolean; mode: number } {
  const { scope = 'local', mode = DEFAULT_MODE } = options;
  checkScope(scope, 'options.scope');
  if (typeof mode !== 'number') throw invalidArgType('options.mode', 'of type number', mode);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw outOfRange('options.mode', 'an integer from 0 to 0o777 (511)', mode);
  }
  return { global: scope === 'global', mode };
}

export function checkScope(scope: unknown, what: string): Scope {
  if (typeof scope !== 'string') throw invalidArgType(what, 'of type string', scope);
  if (scope !== 'local' && scope !== 'global') throw invalidArgValue(what, scope, "must be one of: 'local', 'global'");
  return scope;
}

/** Timeouts from this long on wait like Infinity: a century, far past any real deadline. */
export const FOREVER_MS = 100 * 365.25 * 24 * 3600 * 1000;

/** Returns the timeout in ms, with -1 for "no deadline" (Infinity, or a century and more). */
export function checkTimeout(timeout: unknown, what = 'options.timeout'): number {
  if (timeout === undefined) return -1;
  if (typeof timeout !== 'number') throw invalidArgType(what, 'of type number', timeout);
  if (Number.isNaN(timeout) || timeout < 0) {
    throw outOfRange(what, '>= 0 (milliseconds, or Infinity)', timeout);
  }
  return timeout >= FOREVER_MS ? -1 : timeout;
}

export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  return signal;
}

export function checkAcquire(options: unknown): { timeout: number; signal: AbortSignal | undefined } {
  const o = checkObject<AcquireOptions>(options, 'options', ACQUIRE_KEYS);
  return { timeout: checkTimeout(o.timeout), signal: checkSignal(o.signal) };
}

export function checkPositiveInteger(value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw invalidArgType(what, 'of type number', value);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw outOfRange(what, `an integer from 1 to ${max}`, value);
  return value;
}

export function checkBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidArgType(what, 'of type boolean', value);
  return value;
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
