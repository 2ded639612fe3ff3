// The protocol both sides of interlocked/piscina share: task states, failure records, spec checks.
import { invalidArgValue } from '../errors.js';
import {
  checkBoolean,
  checkName,
  checkObject,
  checkPositiveInteger,
  checkScope,
  checkTimeout,
  MAX_PROCESSES_LIMIT,
  type Scope,
} from '../options.js';
import type { LockedMemorySpec, LockedTaskInput, LockMode } from './types.js';

// ---------------------------------------------------------------------------------------------
// The protocol shared by both sides.

export const QUEUED = 0;
export const WAITING = 1;
export const RUNNING = 2;
export const DONE = 3;
export const ABORTED = 4;

export const TAG = '__interlockPiscinaFailure';

/**
 * What the Worker returns instead of throwing when the run came from `runLocked`, which turns it back
 * into the error (a plain `pool.run` of a locked task gets the error thrown, as Piscina gives it).
 * Tagged with `__interlockPiscinaFailure: 1`; `kind` is `'aborted'` (the run was aborted),
 * `'interlock'` (an `InterlockError`: its `code`, `message`, `stack`, `errno`, `syscall`, `path`) or
 * `'error'`
 * (any other error, structured-cloned, with its `name` and `code`). Not meant to be built or read by
 * users: `runLocked` never resolves with one.
 */
export type LockedFailure =
  | { [TAG]: 1; kind: 'aborted' }
  | {
      [TAG]: 1;
      kind: 'interlock';
      code: string;
      message: string;
      stack?: string;
      errno?: number;
      syscall?: string;
      path?: string;
    }
  | { [TAG]: 1; kind: 'error'; error: unknown; name?: string; code?: unknown };

export function isFailure(value: unknown): value is LockedFailure {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[TAG] === 1;
}

type WaitAsync = (
  view: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
export const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export interface CheckedSpec {
  lock: string;
  mode: LockMode;
  timeout: number | undefined;
  scope: Scope | undefined;
  maxProcesses: number | undefined;
  memory: { name: string; size: number | undefined; create: boolean } | undefined;
}

/** Validates a spec (the same checks on both sides), with exact InterlockError codes. */
export function checkSpec(spec: unknown): CheckedSpec {
  const s = checkObject<LockedTaskInput<unknown>>(spec, 'the locked task', [
    'lock',
    'mode',
    'data',
    'memory',
    'timeout',
    'scope',
    'maxProcesses',
    'control',
  ]);
  checkName(s.lock);
  if (s.mode !== 'read' && s.mode !== 'write')
    throw invalidArgValue('spec.mode', s.mode, "must be one of: 'read', 'write'");
  if (s.timeout !== undefined) checkTimeout(s.timeout, 'spec.timeout');
  if (s.scope !== undefined) checkScope(s.scope, 'spec.scope');
  if (s.maxProcesses !== undefined) checkPositiveInteger(s.maxProcesses, 'spec.maxProcesses', MAX_PROCESSES_LIMIT);
  let memory: CheckedSpec['memory'];
  if (s.memory !== undefined) {
    const m = checkObject<LockedMemorySpec>(s.memory, 'memory', ['name', 'size', 'create']);
    checkName(m.name);
    if (m.size !== undefined) checkPositiveInteger(m.size, 'spec.memory.size');
    if (m.create !== undefined) checkBoolean(m.create, 'spec.memory.create', true);
    memory = { name: m.name!, size: m.size, create: m.create ?? true };
  }
  return {
    lock: s.lock!,
    mode: s.mode,
    timeout: s.timeout,
    scope: s.scope,
    maxProcesses: s.maxProcesses,
    memory,
  };
}

export function abortedError(): DOMException {
  return new DOMException('The task was aborted', 'AbortError');
}
