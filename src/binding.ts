// The only module that loads the addon. Everything else talks to it through these types.
import { join } from 'node:path';
import { reportRecovered } from './diagnostics.js';
import { InterlockError, nativeError } from './errors.js';
import { SUPPORTED_TARGETS, currentTarget, isGlibc, isSupportedPlatform } from './platform-support.js';

export const enum Status {
  Granted = 0,
  TimedOut = 1,
  /** The process holds 2^20 guards of that lock already: nothing was granted. */
  TooManyGuards = 2,
}

/** Called once per completed asynchronous request, on the thread that made it. */
export type Completion = (status: Status, token: number) => void;

export interface NativeRwLock {
  /** > 0: granted (guard token); < 0: queued as request -r. */
  acquire(mode: 0 | 1, timeoutMs: number): number;
  /** Guard token, or 0. */
  tryAcquire(mode: 0 | 1): number;
  release(guardId: number): boolean;
  downgrade(guardId: number): void;
  markConsistent(guardId: number): void;
  cancel(requestId: number): boolean;
  inspect(): NativeLockInfo;
  close(): void;
}

export interface NativeHolder {
  pid: number;
  count: number;
  since?: number;
  alive: boolean;
}

export interface NativeWaiter {
  pid: number;
  readers: number;
  writers: number;
  alive: boolean;
}

export interface NativeLockInfo {
  writer: NativeHolder | null;
  readers: NativeHolder[];
  waitingReaders: number;
  waitingWriters: number;
  /** Processes with queued requests: their queue counts by mode. */
  waiters: NativeWaiter[];
  abandoned: boolean;
  maxProcesses: number;
  processes: number;
  liveProcesses: number;
}

export interface NativeNamedEvent {
  set(): void;
  reset(): void;
  isSet(): boolean;
  manualReset(): boolean;
  /** This open created the event. */
  created(): boolean;
  /** 1: satisfied now; 0: timed out now; < 0: queued as request -r. */
  wait(timeoutMs: number): number;
  cancel(requestId: number): boolean;
  close(): void;
}

export interface NativeSharedMemory {
  readonly buffer: ArrayBuffer;
  readonly size: number;
  readonly created: boolean;
  close(): void;
}

export const enum ObjectKind {
  Memory = 0,
  Lock = 1,
  Event = 2,
}

interface Addon {
  setCallbacks(
    dispatch: (requestId: number, status: Status, token: number) => boolean,
    makeError: typeof nativeError,
    onRecover: (lockName: string, pid: number, abandoned: boolean) => void,
  ): void;
  unlink(kind: ObjectKind, name: string, global: boolean): boolean;
  objectSize(kind: ObjectKind, name: string, global: boolean): number | null;
  /** Whether some process has the object open for use; null when there is none. */
  objectInUse(kind: ObjectKind, name: string, global: boolean): boolean | null;
  peekLock(name: string, global: boolean): NativeLockInfo | null;
  peekEvent(name: string, global: boolean): { manualReset: boolean; set: boolean } | null;
  RwLockHandle: new (name: string, maxProcesses: number, mode: number, global: boolean) => NativeRwLock;
  NamedEventHandle: new (
    name: string,
    manualReset: boolean,
    initialState: boolean,
    mode: number,
    global: boolean,
  ) => NativeNamedEvent;
  SharedMemoryHandle: new (
    name: string,
    size: number,
    create: 0 | 1 | 2,
    mode: number,
    global: boolean,
    maxSize: number,
  ) => NativeSharedMemory;
}

// An addon whose every use throws `error`: importing the package never fails, the first use of a
// native object does, with a typed error that says why.
function unavailable(error: InterlockError): Addon {
  return new Proxy({} as Addon, {
    get() {
      throw error;
    },
  });
}

function load(): Addon {
  // INTERLOCK_ADDON: the path of another build of the addon to load (the sanitizer runs of the test
  // suite use it); otherwise the local build, then the prebuild for this platform.
  const override = process.env.INTERLOCK_ADDON;
  if (override) return require(override) as Addon;
  const unsupported = (cause?: unknown) =>
    new InterlockError(
      'ERR_UNSUPPORTED_PLATFORM',
      `interlocked has no native support for ${currentTarget()} (supported: ${SUPPORTED_TARGETS.join(', ')}); ` +
        'its locks, events and shared memory need it. On a supported system, npm install --build-from-source ' +
        'builds the addon from the sources in the package.',
      cause === undefined ? {} : { cause },
    );
  if (!isSupportedPlatform()) return unavailable(unsupported());
  try {
    const loadBinding = require('node-gyp-build') as (dir: string) => unknown;
    return loadBinding(join(__dirname, '..')) as Addon; // the package root: dist/..
  } catch (cause) {
    // The prebuilds are for glibc: on musl (Alpine) nothing matches, and that is the platform's doing.
    if (process.platform === 'linux' && !isGlibc()) return unavailable(unsupported(cause));
    return unavailable(
      new InterlockError(
        'ERR_SYSTEM',
        `the native addon of interlocked could not be loaded on ${currentTarget()}: ${(cause as Error).message}`,
        { cause },
      ),
    );
  }
}

export const addon = load();

const pending = new Map<number, Completion>();

/** Registers what to do when native request `requestId` completes. */
export function onCompletion(requestId: number, completion: Completion): void {
  pending.set(requestId, completion);
}

/** Forgets a request that will never complete (cancelled or closed). */
export function forgetRequest(requestId: number): void {
  pending.delete(requestId);
}

// Returns whether the completion was taken: one nobody waits for any more (closed, aborted) gives
// back natively what it carries (a lock grant, a consumed auto-reset signal).
function dispatch(requestId: number, status: Status, token: number): boolean {
  const completion = pending.get(requestId);
  if (completion === undefined) return false;
  pending.delete(requestId);
  try {
    completion(status, token);
  } catch (error) {
    // Taken all the same (what it carries is in JavaScript's hands now): report it as uncaught.
    process.nextTick(() => {
      throw error;
    });
  }
  return true;
}

try {
  addon.setCallbacks(dispatch, nativeError, reportRecovered);
} catch {
  // No addon here (unsupported platform, or it failed to load): its first use says why.
}
