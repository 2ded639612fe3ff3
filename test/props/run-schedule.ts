// Executes a schedule in real child processes and returns the recorded history.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { NamedEvent, RwLock, SharedMemory } from 'interlocked';
import { fixturePath } from '../helpers/agent.js';
import { uniqueName } from '../helpers/names.js';
import { Recorder, logSize, readLog, type RawEvent } from './recorder.js';
import type { Schedule } from './schedule.js';

export interface RunResult {
  events: RawEvent[];
  /** Processes that did not finish within the time bound (they were killed): a progress failure. */
  hung: number[];
  /** Processes that ended other than by finishing or by their planned kill. */
  crashed: Array<{ p: number; code: number | null; signal: string | null }>;
}

export async function runSchedule(schedule: Schedule, timeLimitMs = 20_000, unguarded = false): Promise<RunResult> {
  const lockName = uniqueName('prop');
  const logName = `${lockName}-log`;
  const log = SharedMemory.open(logName, { size: logSize() });
  const go = NamedEvent.open(`${logName}-go`);
  const parent = new Recorder(logName, 255);
  const children: ChildProcess[] = [];
  const hung: number[] = [];
  const crashed: RunResult['crashed'] = [];
  try {
    const exits = schedule.processes.map((ops, p) => {
      const child = fork(fixturePath('schedule-runner'), [lockName, logName, String(p)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, PROPS_UNGUARDED: unguarded ? '1' : '0' },
      });
      children.push(child);
      let dying = false;
      // A child that dies before it is ready (it crashed opening the lock) must not hang the run:
      // readiness also ends with its exit, which is then reported as a crash.
      const ready = new Promise<void>((resolve) => {
        child.on('message', (m) => {
          if (m === 'ready') resolve();
          if (m === 'dying') dying = true;
        });
        child.once('exit', () => resolve());
      });
      const exited = once(child, 'exit').then(([code, signal]) => {
        // Its planned kill: SIGKILL here, TerminateProcess (an exit code, no signal) on Windows.
        if (dying && (signal === 'SIGKILL' || process.platform === 'win32')) parent.append('killed', 0, {}, p);
        else if (code === 0) parent.append('exited', 0, {}, p);
        else crashed.push({ p, code, signal });
      });
      child.send(ops);
      return { ready, exited };
    });
    // The time bound covers getting ready too.
    const timer = setTimeout(() => {
      children.forEach((c, p) => {
        if (c.exitCode === null && c.signalCode === null) {
          hung.push(p);
          c.kill('SIGKILL');
        }
      });
    }, timeLimitMs);
    await Promise.all(exits.map((e) => e.ready));
    go.set();
    await Promise.all(exits.map((e) => e.exited));
    clearTimeout(timer);
    return { events: readLog(logName), hung, crashed: crashed.filter((c) => !hung.includes(c.p)) };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    parent.close();
    go.close();
    log.close();
    RwLock.unlink(lockName);
    SharedMemory.unlink(logName);
    NamedEvent.unlink(`${logName}-go`);
  }
}
