// The main-thread side of interlocked/piscina: runLocked and lockedPool.
import { errorFromCode, invalidArgType, invalidArgValue } from '../errors.js';
import { abortReason, checkObject, checkSignal } from '../options.js';
import type {
  LockedTaskData,
  LockedTaskFunction,
  LockedTaskInput,
  LockedTaskResult,
  LockedTaskSpec,
  PoolLike,
  PoolRunOptions,
  RunLockedOptions,
} from './types.js';
import { ABORTED, DONE, QUEUED, RUNNING, abortedError, checkSpec, isFailure, type LockedFailure } from './protocol.js';

// ---------------------------------------------------------------------------------------------
// Main side.

function decodeFailure(failure: Exclude<LockedFailure, { kind: 'aborted' }>): unknown {
  if (failure.kind === 'interlock') {
    const error = errorFromCode(failure.code, failure.message, {
      errno: failure.errno,
      syscall: failure.syscall,
      path: failure.path,
    });
    if (failure.stack !== undefined) error.stack = failure.stack;
    return error;
  }
  const error = failure.error;
  if (typeof error === 'object' && error !== null) {
    const target = error as { name?: unknown; code?: unknown };
    if (failure.name !== undefined && target.name !== failure.name) {
      Object.defineProperty(error, 'name', { value: failure.name, configurable: true, writable: true });
    }
    if ('code' in failure && target.code === undefined) {
      Object.defineProperty(error, 'code', {
        value: failure.code,
        configurable: true,
        writable: true,
        enumerable: true,
      });
    }
  }
  return error;
}

/**
 * Runs a `lockedTask` on `pool` with `spec.lock` held in `spec.mode` and `spec.memory` mapped in the
 * Worker. Resolves with the body's result; rejects with the body's error, an `InterlockError` (a
 * `LockTimeoutError` when `spec.timeout` passed), or, once `options.signal` aborts the run, with the
 * signal's reason (an AbortError `DOMException` by default). A run aborted while it waits for the
 * lock settles only once the Worker has cancelled that wait: nothing is held or queued for it then.
 *
 * An abort drops a task still in Piscina's queue, cancels a lock wait inside the Worker (which lives
 * on), and for a body that holds the lock does what `options.whileHeld` says. An abort after the task
 * finished changes nothing.
 *
 * @param pool - A Piscina pool (anything with `run(task, options)`) whose Worker file exports a
 *   `lockedTask`.
 * @param spec - The lock, mode, memory, timeout and the task's `data`.
 * @param options - `signal`, `whileHeld`, and what is passed on to `pool.run`.
 * @returns Resolves with the body's result.
 * @throws Rejects (never throws) with the body's own error (its `name` and `code` kept); with the
 * signal's reason on abort; with {@link interlocked!LockTimeoutError} when `spec.timeout` passes; or
 * with an {@link interlocked!InterlockError}: before anything is queued, a `TypeError` or
 * `RangeError` for a bad argument (`ERR_INVALID_ARG_TYPE`: not a pool, a spec, option or signal of
 * the wrong type; `ERR_INVALID_ARG_VALUE`: a bad `spec.mode`, `spec.scope` or `whileHeld`, an unknown
 * key; `ERR_OUT_OF_RANGE`: `spec.timeout`, `spec.maxProcesses`, `spec.memory.size`;
 * `ERR_INVALID_NAME`: `spec.lock`, `spec.memory.name`); from the Worker, any error of
 * `RwLock.open()` and `SharedMemory.open()` in its class (`ERR_SIZE_MISMATCH`, `ERR_NOT_FOUND`,
 * `ERR_INCOMPATIBLE`, ...).
 *
 * @example
 * ```ts
 * import { Piscina } from 'piscina';
 * import { runLocked } from 'interlocked/piscina';
 *
 * const pool = new Piscina({ filename: new URL('./task.js', import.meta.url).href });
 * const value = await runLocked<number>(pool, {
 *   lock: 'frames', mode: 'read', memory: { name: 'frames', size: 1 << 20 },
 *   data: { frame: 3 }, timeout: 5_000,
 * }, { signal: AbortSignal.timeout(10_000) });
 * ```
 */
export async function runLocked<Out = unknown, In = unknown>(
  pool: PoolLike,
  spec: LockedTaskSpec<In>,
  options?: RunLockedOptions,
): Promise<Out> {
  if (typeof pool !== 'object' || pool === null || typeof pool.run !== 'function') {
    throw invalidArgType('pool', 'a Piscina pool (an object with a run() method)', pool);
  }
  checkSpec(spec);
  const o = checkObject<RunLockedOptions>(options, 'options', [
    'signal',
    'whileHeld',
    'transferList',
    'filename',
    'name',
  ]);
  const signal = checkSignal(o.signal);
  const whileHeld = o.whileHeld ?? 'terminate';
  if (whileHeld !== 'terminate' && whileHeld !== 'signal') {
    throw invalidArgValue('options.whileHeld', whileHeld, "must be one of: 'terminate', 'signal'");
  }
  if (signal?.aborted) throw abortReason(signal);

  const control = new Int32Array(new SharedArrayBuffer(4));
  const input: LockedTaskInput<In> = { ...spec, control };
  const piscinaAbort = new AbortController();
  let aborted = false;
  const onAbort = () => {
    for (;;) {
      const state = Atomics.load(control, 0);
      if (state === DONE || state === ABORTED) return;
      if (Atomics.compareExchange(control, 0, state, ABORTED) !== state) continue;
      aborted = true;
      Atomics.notify(control, 0);
      if (state === QUEUED || (state === RUNNING && whileHeld === 'terminate')) {
        piscinaAbort.abort(abortReason(signal!));
      }
      return;
    }
  };
  const runOptions: PoolRunOptions = {};
  if (signal !== undefined) runOptions.signal = piscinaAbort.signal;
  if (o.transferList !== undefined) runOptions.transferList = o.transferList;
  if (o.filename !== undefined) runOptions.filename = o.filename;
  if (o.name !== undefined) runOptions.name = o.name;

  signal?.addEventListener('abort', onAbort, { once: true });
  let result: unknown;
  try {
    result = await pool.run(input, runOptions);
  } catch (error) {
    if (aborted) throw abortReason(signal!);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (aborted) throw abortReason(signal!);
  if (isFailure(result)) {
    // 'aborted' without our abort cannot happen; report it as an abort all the same.
    if (result.kind === 'aborted') throw abortedError();
    throw decodeFailure(result);
  }
  return result as Out;
}

/**
 * `runLocked` bound to a pool and typed by the task: `lockedPool<typeof import('./task.js').default>(pool)`
 * returns `run(spec, options)` whose `spec.data` and result have the task's types.
 *
 * @typeParam F - The type of the task (the Worker file's `lockedTask` export).
 * @param pool - A Piscina pool whose Worker file exports that task.
 * @param defaults - Options for every run; those given to a run override them key by key.
 * @returns `run(spec, options)`: {@link runLocked} with this pool, resolving with the task's result
 *   type and rejecting as `runLocked` does.
 *
 * @example
 * ```ts
 * const run = lockedPool<typeof import('./task.js').default>(pool);
 * const same: number = await run({ lock: 'frames', mode: 'read', memory: { name: 'frames' }, data: { frame: 3 } });
 * ```
 */
export function lockedPool<F extends LockedTaskFunction<any, any>>(
  pool: PoolLike,
  defaults: RunLockedOptions = {},
): (spec: LockedTaskSpec<LockedTaskData<F>>, options?: RunLockedOptions) => Promise<LockedTaskResult<F>> {
  return (spec, options) => runLocked(pool, spec, { ...defaults, ...options });
}
