// The public types of interlocked/piscina.
import type { LockGuard } from '../lock-guard.js';
import { type Scope } from '../options.js';
import { RwLock } from '../rwlock.js';
import { SharedMemory } from '../shared-memory.js';
import type { LockedFailure } from './protocol.js';

/** The mode a locked task holds its lock in: the RwLock's read (shared) or write (exclusive) lock. */
export type LockMode = 'read' | 'write';

/** The shared memory a task wants mapped in its Worker. */
export interface LockedMemorySpec {
  /** Name of the SharedMemory segment. */
  name: string;
  /** Bytes; needed to create the segment. A cached mapping smaller than this fails with ERR_SIZE_MISMATCH. */
  size?: number | undefined;
  /** `true` (default): open or create; `false`: open an existing segment only (ERR_NOT_FOUND otherwise). */
  create?: boolean | undefined;
}

/** What a locked task asks for: a lock, a mode, optional memory, and the task's own data. */
export interface LockedTaskSpec<In> {
  /** Name of the RwLock to hold while the task body runs. */
  lock: string;
  /** The mode the lock is held in while the body runs. */
  mode: LockMode;
  /** The task's own input, passed to the body as `data` (structured-cloned, as any Piscina task). */
  data: In;
  /** The shared memory to map in the Worker (cached there) and pass to the body as `memory`. */
  memory?: LockedMemorySpec | undefined;
  /** Milliseconds to wait for the lock (default Infinity); past it the run rejects with ERR_LOCK_TIMEOUT. */
  timeout?: number | undefined;
  /** Windows namespace of the lock and memory (ignored on POSIX). Default `'local'`. */
  scope?: Scope | undefined;
  /**
   * `maxProcesses` for the lock if this task creates it; given for an existing lock, it must match
   * (`ERR_INCOMPATIBLE` otherwise), as with `RwLock.open`.
   */
  maxProcesses?: number | undefined;
}

/** The message that reaches the Worker: a spec plus the abort channel that `runLocked` adds. */
export interface LockedTaskInput<In> extends LockedTaskSpec<In> {
  /** @internal The task's state (see the module comment). Set by `runLocked`. */
  control?: Int32Array;
}

/** What the task body receives. */
export interface LockedTaskContext<In> {
  /** The task's `spec.data`. */
  data: In;
  /** The mode the lock is held in (`spec.mode`). */
  mode: LockMode;
  /** The held guard; released by `lockedTask` when the body settles (releasing it early is allowed). */
  guard: LockGuard;
  /** A writer died inside the lock before this grant: the data it protects may be torn. */
  abandoned: boolean;
  /** The Worker's cached lock handle. Do not close it. */
  lock: RwLock;
  /** The Worker's cached mapping of `memory`, when the task asked for one. `memory.buffer` is zero-copy. */
  memory: SharedMemory | undefined;
  /** Aborted when the run is aborted (see `whileHeld` of `runLocked`). */
  signal: AbortSignal;
}

/**
 * The body of a locked task, given to `lockedTask`: it runs in the Worker with the lock held, and
 * what it returns (or throws) is the task's result (or error).
 */
export type LockedTaskBody<In, Out> = (context: LockedTaskContext<In>) => Out | Promise<Out>;

/** The Piscina task function made by `lockedTask` (the Worker file's default export). */
export interface LockedTaskFunction<In, Out> {
  /**
   * Runs one task in the Worker (Piscina calls it).
   *
   * @param input - The spec `runLocked` (or `pool.run`) sent.
   * @returns The body's result. Called by `runLocked`, failures come back as a
   * {@link LockedFailure} record that `runLocked` turns back into the error; called by a plain
   * `pool.run`, it rejects with the error instead.
   */
  (input: LockedTaskInput<In>): Promise<Awaited<Out> | LockedFailure>;
  /**
   * Type-level only (never set): the body's input type `in` and output type `out`, which
   * `LockedTaskData`, `LockedTaskResult` and `lockedPool` read.
   */
  readonly __types?: { in: In; out: Awaited<Out> };
}

/** The `data` type of a task made by `lockedTask`. */
export type LockedTaskData<F> = F extends { readonly __types?: { in: infer In } } ? In : never;
/** The result type of a task made by `lockedTask`. */
export type LockedTaskResult<F> = F extends { readonly __types?: { out: infer Out } } ? Out : never;

/** The part of a Piscina pool that `runLocked` uses. */
export interface PoolLike {
  /**
   * Piscina's `pool.run(task, options)`.
   *
   * @param task - What the Worker's task function receives.
   * @param options - Piscina's run options.
   * @returns The task's result.
   */
  run(task: unknown, options?: PoolRunOptions): Promise<unknown>;
}

/** The options `runLocked` passes to `pool.run` (the subset of Piscina's `RunOptions` it uses). */
export interface PoolRunOptions {
  /** Piscina's abort signal for the task (`runLocked` passes one of its own). */
  signal?: AbortSignal | undefined;
  /** Objects to transfer to the Worker with the task. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Piscina's own Transferable type
  transferList?: readonly any[] | undefined;
  /** The Worker file, when it is not the pool's default. */
  filename?: string | null | undefined;
  /** The exported name of the task function. */
  name?: string | null | undefined;
}

/** Options of `runLocked` (and the defaults of `lockedPool`). */
export interface RunLockedOptions {
  /** Aborts the run: a queued task is dropped, a lock wait is cancelled in the Worker. */
  signal?: AbortSignal | undefined;
  /**
   * What an abort does once the body holds the lock: `'terminate'` (default, Piscina's behaviour)
   * lets Piscina terminate the Worker, which gives the lock back; `'signal'` only aborts the body's
   * `signal` and keeps the Worker, releasing the lock when the body returns.
   */
  whileHeld?: 'terminate' | 'signal' | undefined;
  /** Passed to `pool.run`. */
  transferList?: PoolRunOptions['transferList'] | undefined;
  /** Passed to `pool.run`: the Worker file (when it is not the pool's default). */
  filename?: string | null | undefined;
  /** Passed to `pool.run`: the exported name of the task (default `'default'`). */
  name?: string | null | undefined;
}
