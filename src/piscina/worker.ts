// The Worker side of interlocked/piscina: cached handles and lockedTask.
import { InterlockError, invalidArgType } from '../errors.js';
import { type Scope } from '../options.js';
import { RwLock } from '../rwlock.js';
import { SharedMemory } from '../shared-memory.js';
import type { LockedTaskBody, LockedTaskFunction, LockedTaskInput } from './types.js';
import {
  ABORTED,
  DONE,
  QUEUED,
  RUNNING,
  TAG,
  WAITING,
  abortedError,
  checkSpec,
  waitAsync,
  type LockedFailure,
} from './protocol.js';

// ---------------------------------------------------------------------------------------------
// Worker side: cached handles.

const locks = new Map<string, RwLock>();
const memories = new Map<string, SharedMemory>();
let opened = 0;

const cacheKey = (name: string, scope: Scope | undefined) => `${scope ?? 'local'}:${name}`;

/**
 * This thread's handle of the lock `name`, opened on first use and cached: every task of the Worker
 * shares it. Handles never cross threads; a terminated Worker's handles (and holds) are released.
 * Do not close it (use {@link closeCachedHandles}).
 *
 * @param name - The lock's name.
 * @param options - `scope` (part of the cache key) and `maxProcesses` (as for `RwLock.open()`).
 * @returns The cached {@link RwLock}.
 * @throws An {@link InterlockError}: `ERR_INCOMPATIBLE` when `maxProcesses` differs from the cached
 * lock's, and whatever `RwLock.open()` throws when the lock is opened.
 */
export function openLock(
  name: string,
  options: { scope?: Scope | undefined; maxProcesses?: number | undefined } = {},
): RwLock {
  const key = cacheKey(name, options.scope);
  let lock = locks.get(key);
  if (lock === undefined || lock.closed) {
    lock = RwLock.open(name, options);
    opened++;
    locks.set(key, lock);
  } else if (options.maxProcesses !== undefined && lock.inspect().maxProcesses !== options.maxProcesses) {
    // As RwLock.open() would say for a lock that is not cached.
    throw new InterlockError(
      'ERR_INCOMPATIBLE',
      `the lock '${name}' exists with ${lock.inspect().maxProcesses} process slots, not the ${options.maxProcesses} asked for`,
    );
  }
  return lock;
}

/**
 * This thread's mapping of the SharedMemory `name`, opened on first use and cached. Asking for more
 * bytes than the segment has fails with ERR_SIZE_MISMATCH, as `SharedMemory.open` does.
 * Do not close it (use {@link closeCachedHandles}).
 *
 * @param name - The segment's name.
 * @param options - `size`, `create` (used when it is opened) and `scope` (part of the cache key).
 * @returns The cached {@link SharedMemory}.
 * @throws An {@link InterlockError}: `ERR_SIZE_MISMATCH` when `size` exceeds the cached mapping's, and
 * whatever `SharedMemory.open()` throws when the segment is opened.
 */
export function openMemory(
  name: string,
  options: { size?: number | undefined; create?: boolean | undefined; scope?: Scope | undefined } = {},
): SharedMemory {
  const key = cacheKey(name, options.scope);
  let memory = memories.get(key);
  if (memory === undefined || memory.closed) {
    memory = SharedMemory.open(name, options);
    opened++;
    memories.set(key, memory);
  } else if (options.size !== undefined && options.size > memory.size) {
    throw new InterlockError(
      'ERR_SIZE_MISMATCH',
      `the shared memory '${name}' has ${memory.size} bytes, fewer than the ${options.size} asked`,
    );
  }
  return memory;
}

/**
 * What this thread has cached: lock and memory names, and how many opens the cache has made in all.
 *
 * @returns `locks` and `memories`: the names of the open cached handles; `opened`: how many handles
 * the cache has opened in this thread, reopens included.
 */
export function cachedHandles(): { locks: string[]; memories: string[]; opened: number } {
  const names = (map: Map<string, { closed: boolean }>) =>
    [...map].filter(([, handle]) => !handle.closed).map(([key]) => key.slice(key.indexOf(':') + 1));
  return { locks: names(locks), memories: names(memories), opened };
}

/**
 * Closes this thread's cached handles (their guards are released, their pending waits reject with
 * `ERR_CLOSED`). The next task opens them again.
 */
export function closeCachedHandles(): void {
  for (const lock of locks.values()) lock.close();
  for (const memory of memories.values()) memory.close();
  locks.clear();
  memories.clear();
}

// ---------------------------------------------------------------------------------------------
// Worker side: the task wrapper.

/**
 * Wraps a task body into a Piscina task function: it opens (once per Worker) the lock and memory the
 * task names, takes the lock in the task's mode, runs the body, and releases the lock when the body
 * settles, whether it returns or throws. Export the result as the Worker file's default export (or
 * under a name that you pass to `pool.run`). Run such tasks with `runLocked`, which carries aborts to
 * the lock wait and rebuilds typed errors; a plain `pool.run(spec)` works too, without those two.
 *
 * @typeParam In - The type of the task's `data`.
 * @typeParam Out - What the body returns.
 * @param body - Runs with the lock held; gets the {@link LockedTaskContext}.
 * @returns The task function to export from the Worker file.
 * @throws A `TypeError` `ERR_INVALID_ARG_TYPE` (also an {@link InterlockError}) when `body` is not a
 * function.
 *
 * @example
 * ```ts
 * // task.ts: the Worker file
 * import { lockedTask } from 'interlocked/piscina';
 *
 * export default lockedTask<{ frame: number }, number>(async ({ data, memory, guard }) => {
 *   if (guard.abandoned) repair(memory!.buffer);
 *   return memory!.buffer.readUInt32LE(data.frame * 4);
 * }); // the lock is released when this returns or throws
 * ```
 */
export function lockedTask<In, Out>(body: LockedTaskBody<In, Out>): LockedTaskFunction<In, Out> {
  if (typeof body !== 'function') throw invalidArgType('body', 'of type function', body);
  const task = async (input: LockedTaskInput<In>): Promise<Awaited<Out> | LockedFailure> => {
    const control =
      typeof input === 'object' && input !== null && input.control instanceof Int32Array ? input.control : undefined;
    if (control === undefined) return await runBody(body, input, undefined);
    try {
      return await runBody(body, input, control);
    } catch (error) {
      if (Atomics.load(control, 0) !== ABORTED) return encodeFailure(error);
      // A grant that raced the abort is given back from a callback on this thread's event loop.
      // Piscina blocks an idle Worker's loop (atomics: 'sync'), so let that callback run first.
      await loopTurn();
      await loopTurn();
      return { [TAG]: 1, kind: 'aborted' };
    } finally {
      finish(control);
    }
  };
  return task;
}

async function runBody<In, Out>(
  body: LockedTaskBody<In, Out>,
  input: LockedTaskInput<In>,
  control: Int32Array | undefined,
): Promise<Awaited<Out>> {
  const spec = checkSpec(input);
  const scope = spec.scope;
  const lock = openLock(spec.lock, {
    ...(scope === undefined ? {} : { scope }),
    ...(spec.maxProcesses === undefined ? {} : { maxProcesses: spec.maxProcesses }),
  });
  const memory =
    spec.memory === undefined
      ? undefined
      : openMemory(spec.memory.name, {
          create: spec.memory.create,
          ...(spec.memory.size === undefined ? {} : { size: spec.memory.size }),
          ...(scope === undefined ? {} : { scope }),
        });
  const controller = new AbortController();
  if (control !== undefined) {
    if (!advance(control, QUEUED, WAITING)) throw abortedError();
    void watch(control, controller);
  }
  const guard = await lock[spec.mode]({
    ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }),
    signal: controller.signal,
  });
  try {
    if (control !== undefined && !advance(control, WAITING, RUNNING)) throw abortedError();
    return await body({
      data: input.data,
      mode: spec.mode,
      guard,
      abandoned: guard.abandoned,
      lock,
      memory,
      signal: controller.signal,
    });
  } finally {
    guard.release();
  }
}

const loopTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the state `from` -> `to` if nobody changed it; wakes the watcher either way. */
function advance(control: Int32Array, from: number, to: number): boolean {
  const ok = Atomics.compareExchange(control, 0, from, to) === from;
  if (ok) Atomics.notify(control, 0);
  return ok;
}

/** Ends the task's state (unless the main thread aborted it) and so ends its watcher. */
function finish(control: Int32Array): void {
  for (;;) {
    const state = Atomics.load(control, 0);
    if (state === DONE || state === ABORTED) break;
    if (Atomics.compareExchange(control, 0, state, DONE) === state) break;
  }
  Atomics.notify(control, 0);
}

/** Follows the state until the task ends; ABORTED aborts the Worker-side signal. */
async function watch(control: Int32Array, controller: AbortController): Promise<void> {
  for (;;) {
    const state = Atomics.load(control, 0);
    if (state === ABORTED) {
      controller.abort(abortedError());
      return;
    }
    if (state === DONE) return;
    const wait = waitAsync(control, 0, state);
    if (wait.async) await wait.value;
  }
}

function encodeFailure(error: unknown): LockedFailure {
  if (error instanceof InterlockError) {
    return {
      [TAG]: 1,
      kind: 'interlock',
      code: error.code,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(error.errno === undefined ? {} : { errno: error.errno }),
      ...(error.syscall === undefined ? {} : { syscall: error.syscall }),
      ...(error.path === undefined ? {} : { path: error.path }),
    };
  }
  // A DOMException clones into a bare object on Node 20; anything uncloneable becomes an Error.
  let sent: unknown = error instanceof DOMException ? new Error(error.message) : error;
  try {
    structuredClone(sent);
  } catch {
    sent = new Error(error instanceof Error ? error.message : String(error));
  }
  const failure: LockedFailure = { [TAG]: 1, kind: 'error', error: sent };
  if (typeof error === 'object' && error !== null) {
    const { name, code } = error as { name?: unknown; code?: unknown };
    if (typeof name === 'string') failure.name = name;
    if (code === null || ['string', 'number', 'boolean'].includes(typeof code)) failure.code = code;
  }
  return failure;
}
