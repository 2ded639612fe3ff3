import { ObjectKind, Status, addon, forgetRequest, onCompletion, type NativeNamedEvent } from './binding.js';
import { debug, debugEnabled } from './diagnostics.js';
import { InterlockError } from './errors.js';
import {
  COMMON_KEYS,
  SCOPE_KEYS,
  abortReason,
  checkAcquire,
  checkBoolean,
  checkCommon,
  checkName,
  checkObject,
  type AcquireOptions,
  type CommonOptions,
} from './options.js';

/** Options of `NamedEvent.open()`, besides `scope` and `mode`. */
export interface NamedEventOptions extends CommonOptions {
  /**
   * `true` (default for a new event): stays set until reset(); `false`: each set() releases one
   * waiter. Fixed by the creator: given when opening an existing event of the other type, it fails
   * with `ERR_INCOMPATIBLE`.
   */
  manualReset?: boolean | undefined;
  /**
   * Whether the event starts set, if this call creates it (default `false`). An existing event keeps
   * its state; `created` tells which happened.
   */
  initialState?: boolean | undefined;
}

const OPEN_KEYS = ['manualReset', 'initialState', ...COMMON_KEYS] as const;

/**
 * A named event shared across processes, manual-reset or auto-reset, like a Windows event object.
 * Waits run on a native waiter thread: the event loop never blocks.
 *
 * A manual-reset event stays set until `reset()` and releases every waiter; a `set()` immediately
 * followed by `reset()` still releases the waits that were pending. An auto-reset event releases
 * exactly one waiter per `set()` (oldest first within a process) and holds at most one signal. A
 * signal a wait consumed goes back to the event if that wait is aborted, its handle closed or its
 * Worker terminated before the result reached JavaScript. (On Windows a process whose waiter thread
 * is re-arming its wait at the instant of a pulse can miss it.)
 *
 * @example
 * ```ts
 * import { NamedEvent } from 'interlocked';
 *
 * const ready = NamedEvent.open('app.ready'); // manual-reset, initially not set
 * // in one process:
 * ready.set();
 * // in another:
 * if (!(await ready.wait({ timeout: 5_000 }))) throw new Error('not ready after 5 s');
 * ```
 */
export class NamedEvent implements Disposable {
  /** The name it was opened with. */
  readonly name: string;
  /** This open created the event (so `manualReset` and `initialState` were this call's). */
  readonly created: boolean;
  #handle: NativeNamedEvent | null;
  readonly #pending = new Map<number, (error: unknown) => void>();

  private constructor(name: string, handle: NativeNamedEvent) {
    this.name = name;
    this.#handle = handle;
    this.created = handle.created();
  }

  /**
   * Opens the event `name`, creating it if it does not exist (with `manualReset` and `initialState`).
   *
   * @param name - 1 to 200 characters of `[A-Za-z0-9._-]`.
   * @param options - `manualReset`, `initialState`, `scope`, `mode`.
   * @returns The open event; close it with `close()` (or `using`).
   * @throws For a bad argument (before any system call), a `TypeError` or `RangeError` that is also an
   * {@link InterlockError}: `ERR_INVALID_ARG_TYPE` (the name, options or an option of the wrong type,
   * a non-boolean `manualReset` or `initialState`), `ERR_INVALID_NAME` (the name),
   * `ERR_INVALID_ARG_VALUE` (an unknown option key, a bad `scope`), `ERR_OUT_OF_RANGE` (`mode`).
   * Otherwise an {@link InterlockError} with `code`:
   * `ERR_INCOMPATIBLE` (`manualReset` given and different from the existing event's; the name exists
   * but is not an interlocked event, or of another version);
   * `ERR_NO_SPACE`; an errno name such as `'EACCES'` (the OS failed; on Windows `'EPERM'` for a
   * `'global'` creation without SeCreateGlobalPrivilege);
   * `ERR_UNSUPPORTED_PLATFORM` (no native support here).
   */
  static open(name: string, options?: NamedEventOptions): NamedEvent {
    checkName(name);
    const o = checkObject<NamedEventOptions>(options, 'options', OPEN_KEYS);
    const { global, mode } = checkCommon(o);
    const manualReset = checkBoolean(o.manualReset, 'options.manualReset', true);
    const initialState = checkBoolean(o.initialState, 'options.initialState', false);
    const handle = new addon.NamedEventHandle(name, manualReset, initialState, mode, global);
    if (o.manualReset !== undefined && handle.manualReset() !== manualReset) {
      handle.close();
      const kind = (manual: boolean) => (manual ? 'manual-reset' : 'auto-reset');
      throw new InterlockError(
        'ERR_INCOMPATIBLE',
        `the event '${name}' exists as ${kind(!manualReset)}, not ${kind(manualReset)} (fixed by its creator)`,
      );
    }
    if (debugEnabled) debug('opened event %s (%s)', name, handle.manualReset() ? 'manual-reset' : 'auto-reset');
    return new NamedEvent(name, handle);
  }

  /**
   * Removes the name; processes that have it open keep using their event, and the next `open()` of
   * the name creates a new one. On Windows a no-op (a named object lives while it is open): `false`.
   *
   * @param name - The event's name.
   * @param options - `scope` (Windows; ignored on POSIX).
   * @returns `true` if a name was removed, `false` if there was none.
   * @throws A `TypeError` (also an {@link InterlockError}) for a bad argument: `ERR_INVALID_ARG_TYPE`,
   * `ERR_INVALID_ARG_VALUE`, `ERR_INVALID_NAME`. An {@link InterlockError} with an errno code
   * (`'EACCES'`, ...) when the OS refuses, or `ERR_UNSUPPORTED_PLATFORM`.
   */
  static unlink(name: string, options?: Pick<CommonOptions, 'scope'>): boolean {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options', SCOPE_KEYS));
    return addon.unlink(ObjectKind.Event, name, global);
  }

  /**
   * Whether this event is manual-reset (fixed by whoever created it).
   *
   * @throws An {@link InterlockError} `ERR_CLOSED` after `close()`.
   */
  get manualReset(): boolean {
    return this.#native().manualReset();
  }

  /**
   * Sets the event: a manual-reset event releases every waiter and stays set until `reset()`; an
   * auto-reset event releases one waiter (or stays set until one comes).
   *
   * @throws An {@link InterlockError} `ERR_CLOSED` after `close()`.
   */
  set(): void {
    this.#native().set();
  }

  /**
   * Clears the event. Waits already released by an earlier `set()` stay released.
   *
   * @throws An {@link InterlockError} `ERR_CLOSED` after `close()`.
   */
  reset(): void {
    this.#native().reset();
  }

  /**
   * Whether the event is set now (consumes nothing). Never waits.
   *
   * @returns `true` when set.
   * @throws An {@link InterlockError} `ERR_CLOSED` after `close()`.
   */
  isSet(): boolean {
    return this.#native().isSet();
  }

  /**
   * Waits for the event on a native waiter thread, never blocking the event loop. An auto-reset event
   * is reset by the wait it releases.
   *
   * @param options - `timeout` (ms, default `Infinity`; `0` only looks) and `signal`.
   * @returns Resolves `true` once the event is set (auto-reset: consumes it), `false` when the
   * timeout passes.
   * @throws Rejects (never throws) with the signal's reason when `signal` aborts (an `AbortError`
   * `DOMException` by default), or with an {@link InterlockError}: `ERR_CLOSED` (the handle is or gets
   * closed), an errno name such as `'EAGAIN'` (no waiter thread could be started); for bad options, a
   * `TypeError` or `RangeError` (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`).
   */
  wait(options?: AcquireOptions): Promise<boolean> {
    let handle: NativeNamedEvent;
    let timeout: number;
    let signal: AbortSignal | undefined;
    try {
      handle = this.#native();
      ({ timeout, signal } = checkAcquire(options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const r = handle.wait(timeout);
    if (r >= 0) return Promise.resolve(r === 1);
    if (debugEnabled) debug('wait for event %s (timeout %s ms)', this.name, timeout < 0 ? Infinity : timeout);
    const requestId = -r;
    return new Promise<boolean>((resolve, reject) => {
      const finish = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(requestId);
      };
      const onAbort = () => {
        finish();
        // An auto-reset signal already consumed for this wait goes back to the event natively: in
        // cancel(), or when its completion finds nobody waiting for it.
        handle.cancel(requestId);
        forgetRequest(requestId);
        reject(abortReason(signal!));
      };
      onCompletion(requestId, (status) => {
        finish();
        if (debugEnabled) debug('event %s: %s', this.name, status === Status.Granted ? 'set' : 'timed out');
        resolve(status === Status.Granted);
      });
      this.#pending.set(requestId, (error) => {
        finish();
        forgetRequest(requestId);
        reject(error);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Closes this handle; its pending waits reject with `ERR_CLOSED` (an auto-reset signal one of them
   * had consumed goes back to the event). The event and its name stay. Idempotent; never throws.
   */
  close(): void {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    handle.close();
    const error = new InterlockError('ERR_CLOSED', `the event '${this.name}' was closed`);
    for (const reject of [...this.#pending.values()]) reject(error);
  }

  /** The same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #native(): NativeNamedEvent {
    if (this.#handle === null) throw new InterlockError('ERR_CLOSED', `the event '${this.name}' is closed`);
    return this.#handle;
  }
}
