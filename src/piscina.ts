/**
 * Runs [Piscina](https://github.com/piscinajs/piscina) 5 tasks with a named lock held and named shared
 * memory mapped in the Worker: {@link lockedTask} on the Worker side, {@link runLocked} or
 * {@link lockedPool} on the main side. Aborts reach the lock wait inside the Worker, and errors come
 * back typed. `piscina` is an optional peer dependency: install it yourself.
 *
 * @module interlocked/piscina
 */
// `interlocked/piscina`: run Piscina tasks with a named lock held and named shared memory mapped.
//
// Worker side: `export default lockedTask(async ({ data, memory, guard, signal }) => ...)`.
// Main side:   `await runLocked(pool, { lock, mode, memory, data, timeout }, { signal })`.
//
// The abort channel. Piscina answers an abort by terminating the Worker that runs the task, and
// nothing in the Worker hears of it before. `runLocked` therefore gives every task a 4-byte
// SharedArrayBuffer, the task's *state*, that both threads change with compare-and-swap only:
//
//   QUEUED --worker--> WAITING --worker--> RUNNING --worker--> DONE
//      \                  \                   \
//       +----------------- main, on abort -----+--> ABORTED
//
// The Worker watches the state with `Atomics.waitAsync` and turns ABORTED into an AbortSignal that
// it passes to `lock.read()` / `lock.write()` and to the task body. On abort the main thread moves
// the state to ABORTED; what it does next depends on the state it replaced:
//   QUEUED:  aborts Piscina's own signal, so Piscina drops the task from its queue (the Worker, if it
//            has just received it, cannot move it to WAITING any more and takes nothing);
//   WAITING: only notifies: the Worker cancels its wait, holds nothing, and reports "aborted"; the
//            Worker and its cached handles live on. `runLocked` settles after that report, so when it
//            rejects nothing is held or queued for the task;
//   RUNNING: the body holds the lock. By default (`whileHeld: 'terminate'`) Piscina's signal is
//            aborted too and Piscina terminates the Worker, as for any running task: the library's
//            Worker cleanup gives the guard back. With `whileHeld: 'signal'` the body's `signal` fires
//            and the body is trusted to return soon; the guard is released when it does.
// A grant that races the abort is released at once (the Worker's WAITING -> RUNNING swap fails).
//
// Errors cross the thread boundary as data: structured clone keeps neither an error's class nor its
// `code`, so the Worker returns a tagged failure record and `runLocked` rebuilds the error
// (an `InterlockError` with its `code`, a `LockTimeoutError`, or the body's own error).
export * from './piscina/types.js';
export type { LockedFailure } from './piscina/protocol.js';
export { cachedHandles, closeCachedHandles, lockedTask, openLock, openMemory } from './piscina/worker.js';
export { lockedPool, runLocked } from './piscina/main.js';
