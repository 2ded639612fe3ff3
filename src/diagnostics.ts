// What the library tells observers, the way undici and Node core do: node:diagnostics_channel for
// tools (APM, tracing, metrics) and NODE_DEBUG=interlocked for people. Nothing is computed or
// published unless someone listens: every call site checks `hasSubscribers` (or `debugEnabled`)
// first, so an uncontended acquire pays one property read per channel.
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/** Which API took or asked for the lock. */
export type AcquireKind = 'RwLock' | 'LockManager';

/**
 * The context of one acquisition on the `interlocked:acquire` tracing channel: `start` and `end`
 * when it is asked for, `asyncStart` and `asyncEnd` when it is granted or given up, `error` when it
 * fails (then `error` is set). A try (`tryRead`, `tryWrite`) publishes `start` and `end` only.
 */
export interface AcquireContext {
  /** The lock's name: the RwLock name, or the name given to `LockManager.request`. */
  name: string;
  /** `'read'` / `'write'` (RwLock), `'shared'` / `'exclusive'` (LockManager). */
  mode: 'read' | 'write' | 'shared' | 'exclusive';
  /** Which API asked. */
  kind: AcquireKind;
  /** Milliseconds the request may wait: `Infinity` when it has no timeout, `0` for a try. */
  timeout: number;
  /** Set when it is settled: whether the lock was granted (false for a failed try or ifAvailable). */
  granted?: boolean;
  /** Set on grant: milliseconds from the request to the grant. */
  waitedMs?: number;
  /** Set on grant: a writer died inside the lock before this grant (the data may be torn). */
  abandoned?: boolean;
  /** Set when the request failed: the rejection (a timeout, an abort, a closed handle, ...). */
  error?: unknown;
  /** Set by the tracing channel when the request's promise resolves. */
  result?: unknown;
}

/** The message of `interlocked:release`: a guard (or a LockManager request) gave its lock back. */
export interface ReleaseMessage {
  /** The lock's name, as in {@link AcquireContext.name}. */
  name: string;
  /** The mode it was held in. */
  mode: 'read' | 'write' | 'shared' | 'exclusive';
  /** Which API took it. */
  kind: AcquireKind;
  /** Milliseconds the lock was held, when a subscriber was there at its grant; otherwise undefined. */
  heldMs: number | undefined;
}

/**
 * The message of `interlocked:recover`: this process took back what a dead process held or had
 * claimed in the lock `name` (an RwLock name; for LockManager locks, the prefixed form that
 * `locks.lockName()` returns).
 */
export interface RecoverMessage {
  /** The RwLock name of the lock. */
  name: string;
  /** The dead process. */
  pid: number;
  /** It died inside the write lock: the lock is now abandoned until `markConsistent()`. */
  abandoned: boolean;
}

/** @internal */
export const acquireChannel = tracingChannel<unknown, AcquireContext>('interlocked:acquire');
/** @internal */
export const releaseChannel = channel('interlocked:release');
/** @internal */
export const recoverChannel = channel('interlocked:recover');

const debugLog = debuglog('interlocked');
/** @internal NODE_DEBUG is read once, at start-up, as Node reads it. */
export const debugEnabled = debugLog.enabled;
/** @internal */
export const debug: (message: string, ...args: unknown[]) => void = debugLog;

/** @internal Milliseconds on the monotonic clock, for waitedMs and heldMs. */
export const now = (): number => performance.now();

/** @internal Where the native layer reports recoveries (any lock, this thread's env). */
export function reportRecovered(name: string, pid: number, abandoned: boolean): void {
  if (debugEnabled) debug('recovered %s: process %d died%s', name, pid, abandoned ? ' inside the write lock' : '');
  if (recoverChannel.hasSubscribers) recoverChannel.publish({ name, pid, abandoned } satisfies RecoverMessage);
}

/** @internal */
export function publishRelease(message: ReleaseMessage): void {
  if (debugEnabled) debug('released %s (%s)', message.name, message.mode);
  if (releaseChannel.hasSubscribers) releaseChannel.publish(message);
}

/** @internal Publishes a try on `interlocked:acquire`: start, then end with the outcome. */
export function traceTry(context: AcquireContext, granted: boolean, abandoned: boolean): void {
  acquireChannel.start.publish(context);
  context.granted = granted;
  if (granted) {
    context.waitedMs = 0;
    context.abandoned = abandoned;
  }
  acquireChannel.end.publish(context);
}

/**
 * @internal Traces an acquisition whose promise settles at the grant: the tracing channel's own
 * tracePromise, with the grant's facts on the context before asyncStart.
 */
export function traceAcquire<G extends { abandoned: boolean } | null>(
  context: AcquireContext,
  acquire: () => Promise<G>,
): Promise<G> {
  const started = now();
  return acquireChannel.tracePromise(
    () =>
      acquire().then((guard) => {
        context.granted = guard !== null;
        if (guard !== null) {
          context.waitedMs = now() - started;
          context.abandoned = guard.abandoned;
        }
        return guard;
      }),
    context,
  );
}
