// The property over real processes: for every generated schedule, running it in real child
// processes yields a history the checker accepts, and no process hangs or crashes.
import fc from 'fast-check';
import { check, formatReport, type HistoryEvent } from './history.js';
import type { RawEvent } from './recorder.js';
import { runSchedule } from './run-schedule.js';
import { describeSchedule, scheduleArb, type Schedule } from './schedule.js';

export interface PropertyStats {
  schedules: number;
  operations: number;
  events: number;
}

export const stats: PropertyStats = { schedules: 0, operations: 0, events: 0 };

/** Recorder events to the checker's history format. */
export function toHistory(events: RawEvent[]): HistoryEvent[] {
  return events.map((e): HistoryEvent => {
    const base = { seq: e.seq, p: e.p, t: e.t };
    switch (e.kind) {
      case 'request':
        return {
          ...base,
          type: 'request',
          r: e.r,
          mode: e.mode!,
          kind: e.tryOnly ? 'try' : 'wait',
          ...(e.timeoutMs === undefined ? {} : { timeoutMs: e.timeoutMs }),
        };
      case 'killed':
      case 'exited':
        return { ...base, type: e.kind };
      case 'granted':
        return { ...base, type: 'granted', r: e.r, ...(e.abandoned ? { abandoned: true } : {}) };
      default:
        return { ...base, type: e.kind, r: e.r };
    }
  });
}

export async function checkSchedule(schedule: Schedule, unguarded = false): Promise<string | null> {
  const result = await runSchedule(schedule, 20_000, unguarded);
  stats.schedules++;
  stats.operations += schedule.processes.reduce((n, ops) => n + ops.length, 0);
  stats.events += result.events.length;
  const problems: string[] = [];
  if (result.hung.length) problems.push(`processes ${result.hung.join(', ')} never finished (progress)`);
  for (const c of result.crashed) problems.push(`process ${c.p} crashed (${c.code ?? c.signal})`);
  const history = toHistory(result.events);
  // Protocol 3 lets a young waiting writer be passed (eventual fairness): a reader may go first only
  // within the starvation bound (2 ms) plus what recording and a loaded machine add.
  const verdict = check(history, { requireRelease: true, progressMs: 2000, overtakeGraceMs: 100 });
  if (problems.length === 0 && verdict.ok) return null;
  return `${problems.join('\n')}\n-- schedule --\n${describeSchedule(schedule)}\n-- verdict --\n${formatReport(history, verdict)}`;
}

export function scheduleProperty(maxProcesses = 8, maxOps = 12) {
  return fc.asyncProperty(scheduleArb(maxProcesses, maxOps), async (schedule) => {
    const failure = await checkSchedule(schedule);
    if (failure) throw new Error(failure);
  });
}
