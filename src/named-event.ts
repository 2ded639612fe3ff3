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
 */
export class NamedEvent implements Disposable {
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

  /** Removes the name; processes that have it open keep using their event. True if a name was removed. */
  static unlink(name: string, options?: Pick<CommonOptions, 'scope'>): boolean {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options', SCOPE_KEYS));
    return addon.unlink(ObjectKind.Event, name, global);
  }

  /** Whether this event is manual-reset (fixed by whoever created it). */
  get manualReset(): boolean {
    return this.#native().manualReset();
  }

  set(): void {
    this.#native().set();
  }

  reset(): void {
    this.#native().reset();
  }

  isSet(): boolean {
    return this.#native().isSet();
  }

  /** Resolves true once the event is set (auto-reset: consumes it), false when the timeout passes. */
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

  /** Closes this handle; pending waits reject with ERR_CLOSED. Idempotent. */
  close(): void {
    if (this.#handle === null) return;
    const handle = this.#handle;
    this.#handle = null;
    handle.close();
    const error = new InterlockError('ERR_CLOSED', `the event '${this.name}' was closed`);
    for (const reject of [...this.#pending.values()]) reject(error);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #native(): NativeNamedEvent {
    if (this.#handle === null) throw new InterlockError('ERR_CLOSED', `the event '${this.name}' is closed`);
    return this.#handle;
  }
}
