// Synthetic histories for testing the checker: a reference model of a correct writer-preferring
// reader/writer lock used by N simulated processes, emitting the events a recorder following the
// rules of history.ts would emit (with the same windows between what happens and what is recorded:
// a grant is recorded some steps after it happened, a release is recorded before it happens, a dead
// process's holds stay until some later recovery, a grant that raced an abort is given back later).
// Plus mutations that turn valid histories into invalid ones of a known kind.
import fc from 'fast-check';
import type { HistoryEvent, LockMode, RequestKind } from './history.js';

// ---------------------------------------------------------------------------------------------------
// The model

export interface ModelConfig {
  processes: number;
  kills: boolean;
  exits: boolean;
  aborts: boolean;
  /** Record `aborting` before each abort. */
  recordAborting: boolean;
  timeouts: boolean;
  downgrades: boolean;
  tries: boolean;
  /** Record `t` on every event. */
  times: boolean;
  /** After the random steps, let every live process settle and release everything. */
  drain: boolean;
  /** A deliberate bug in the lock (to show that the checker finds it); none by default. */
  bug?: ModelBug;
}

export type ModelBug =
  /** Readers are granted although a writer waits. */
  | 'readersPassWaitingWriters'
  /** Writers are granted although readers hold. */
  | 'writersIgnoreReaders'
  /** tryRead/tryWrite sometimes fail on a free lock. */
  | 'spuriousTryFailure';

type Phase =
  | 'recorded' // request recorded, the library call not made yet
  | 'queued' // in its process's queue
  | 'granted' // holds the lock, not recorded yet
  | 'held' // holds, granted recorded
  | 'timedOutInternal' // the library timed it out, not recorded yet
  | 'done';

interface MReq {
  p: number;
  r: number;
  mode: LockMode;
  kind: RequestKind;
  timeoutMs?: number;
  reqT: number;
  phase: Phase;
  holding: LockMode | null;
  published: boolean;
  waitingRecorded: boolean;
  abortedPending: boolean; // aborted in JS, `aborted` not recorded yet
  abortCalled: boolean;
  hidden: boolean; // a grant that raced the abort: given back later
  downgraded: boolean;
}

interface MProc {
  p: number;
  alive: boolean;
  end?: 'killed' | 'exited';
  endRecorded: boolean;
  recovered: boolean;
  busy: (() => void) | null; // the rest of a synchronous JS section
  queue: MReq[];
  reqs: MReq[];
  nextR: number;
}

interface Action {
  name: string;
  run: () => void;
  /** Relative probability (default 10): deaths are rare, so that histories get long. */
  weight?: number;
}

const TIMEOUTS: (number | undefined)[] = [undefined, undefined, 0, 5, 40];

/**
 * Runs the model with `choices` as its source of nondeterminism (each step picks one enabled action)
 * and returns the history it recorded.
 */
export function simulate(choices: readonly number[], config: ModelConfig): HistoryEvent[] {
  let ci = 0;
  let exhausted = false;
  const pick = (n: number): number => {
    if (n <= 1) return 0;
    if (ci >= choices.length) {
      exhausted = true;
      return 0;
    }
    return choices[ci++]! % n;
  };
  const events: HistoryEvent[] = [];
  let now = 1000;
  let seq = 1;
  const emit = (e: Record<string, unknown> & { type: HistoryEvent['type']; p: number }): void => {
    const ev = { seq: seq++, ...e } as HistoryEvent;
    if (config.times) ev.t = now;
    events.push(ev);
  };

  const procs: MProc[] = [];
  for (let p = 0; p < config.processes; p++)
    procs.push({ p, alive: true, endRecorded: false, recovered: false, busy: null, queue: [], reqs: [], nextR: 1 });
  let writer: MReq | null = null;
  const readers = new Set<MReq>();
  let abandoned = false;

  const anyPublished = (): boolean => procs.some((pr) => pr.queue.some((q) => q.published));
  const holdWrite = (q: MReq) => {
    writer = q;
    q.holding = 'write';
  };
  const holdRead = (q: MReq) => {
    readers.add(q);
    q.holding = 'read';
  };
  const drop = (q: MReq) => {
    if (q.holding === 'write' && writer === q) writer = null;
    if (q.holding === 'read') readers.delete(q);
    q.holding = null;
  };
  const unqueue = (q: MReq) => {
    const pr = procs[q.p]!;
    pr.queue = pr.queue.filter((x) => x !== q);
    q.published = false;
  };
  const grantable = (mode: LockMode): boolean =>
    mode === 'write'
      ? writer === null && (readers.size === 0 || config.bug === 'writersIgnoreReaders')
      : writer === null && (!anyPublished() || config.bug === 'readersPassWaitingWriters');
  const tryGrantable = (q: MReq): boolean => {
    const pr = procs[q.p]!;
    if (pr.queue.length > 0) return false; // FIFO within the process
    return grantable(q.mode);
  };
  const headGrantable = (pr: MProc): boolean => {
    const head = pr.queue[0];
    return head !== undefined && grantable(head.mode);
  };
  const grantHead = (pr: MProc) => {
    const head = pr.queue[0]!;
    if (head.mode === 'write') {
      pr.queue.shift();
      head.published = false;
      holdWrite(head);
      head.phase = 'granted';
      return;
    }
    while (pr.queue[0]?.mode === 'read') {
      const q = pr.queue.shift()!;
      holdRead(q);
      q.phase = 'granted';
    }
  };
  const settled = (q: MReq) => q.phase === 'held' || q.phase === 'done';

  const newRequest = (pr: MProc) => {
    const mode: LockMode = pick(2) === 0 ? 'read' : 'write';
    const kind: RequestKind = config.tries && pick(4) === 0 ? 'try' : 'wait';
    const timeoutMs = kind === 'wait' && config.timeouts ? TIMEOUTS[pick(TIMEOUTS.length)] : undefined;
    const q: MReq = {
      p: pr.p,
      r: pr.nextR++,
      mode,
      kind,
      reqT: now,
      phase: 'recorded',
      holding: null,
      published: false,
      waitingRecorded: false,
      abortedPending: false,
      abortCalled: false,
      hidden: false,
      downgraded: false,
    };
    if (timeoutMs !== undefined) q.timeoutMs = timeoutMs;
    pr.reqs.push(q);
    emit({ type: 'request', p: pr.p, r: q.r, mode, kind, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    if (kind === 'try') {
      pr.busy = () => {
        const ok = tryGrantable(q) && !(config.bug === 'spuriousTryFailure' && pick(2) === 0);
        if (ok) {
          if (mode === 'write') holdWrite(q);
          else holdRead(q);
        }
        pr.busy = () => {
          pr.busy = null;
          if (ok) {
            q.phase = 'held';
            emit({ type: 'granted', p: pr.p, r: q.r, ...(abandoned ? { abandoned: true } : {}) });
          } else {
            q.phase = 'done';
            emit({ type: 'tryFailed', p: pr.p, r: q.r });
          }
        };
      };
    } else {
      pr.busy = () => {
        pr.busy = null;
        if (q.timeoutMs === 0) {
          if (tryGrantable(q)) {
            if (mode === 'write') holdWrite(q);
            else holdRead(q);
            q.phase = 'granted';
          } else q.phase = 'timedOutInternal';
          return;
        }
        q.phase = 'queued';
        pr.queue.push(q);
        if (pr.queue.length === 1 && headGrantable(pr) && pick(2) === 0) grantHead(pr); // the fast path
      };
    }
  };

  const actions = (draining: boolean): Action[] => {
    const list: Action[] = [];
    for (const pr of procs) {
      if (!pr.alive) {
        if (!pr.recovered)
          list.push({
            name: `recover p${pr.p}`,
            run: () => {
              for (const q of pr.reqs) {
                if (q.holding === 'write') abandoned = true;
                drop(q);
                q.published = false;
              }
              pr.queue = [];
              pr.recovered = true;
            },
          });
        if (!pr.endRecorded)
          list.push({
            name: `record end p${pr.p}`,
            run: () => {
              pr.endRecorded = true;
              emit({ type: pr.end!, p: pr.p });
            },
          });
        continue;
      }
      if (config.kills && !draining)
        list.push({
          name: `kill p${pr.p}`,
          weight: 1,
          run: () => {
            pr.alive = false;
            pr.end = 'killed';
            pr.busy = null;
          },
        });
      // the waiter thread: publish, grant, expire (any time, even while JS is busy)
      const head = pr.queue[0];
      if (head && head.mode === 'write' && !head.published && !(draining && headGrantable(pr)))
        list.push({ name: `publish p${pr.p}/r${head.r}`, run: () => (head.published = true) });
      if (headGrantable(pr)) list.push({ name: `grant head p${pr.p}`, run: () => grantHead(pr) });
      for (const q of pr.queue) {
        if (q.timeoutMs !== undefined && now >= q.reqT + q.timeoutMs)
          list.push({
            name: `expire p${pr.p}/r${q.r}`,
            run: () => {
              unqueue(q);
              q.phase = 'timedOutInternal';
            },
          });
      }
      if (pr.busy) {
        const run = pr.busy;
        list.push({ name: `continue p${pr.p}`, run });
        continue; // JS is in a synchronous section
      }
      // JS of the process
      const open = pr.reqs.filter((q) => q.phase !== 'done' || q.abortedPending || q.hidden);
      if (!draining && open.length < 3 && pr.nextR <= 15)
        list.push({ name: `request p${pr.p}`, run: () => newRequest(pr) });
      for (const q of pr.reqs) {
        if (q.phase === 'granted' && !q.abortedPending && !q.hidden)
          list.push({
            name: `record granted p${pr.p}/r${q.r}`,
            run: () => {
              q.phase = 'held';
              emit({ type: 'granted', p: pr.p, r: q.r, ...(abandoned ? { abandoned: true } : {}) });
            },
          });
        if (q.phase === 'timedOutInternal' && !q.abortedPending)
          list.push({
            name: `record timedOut p${pr.p}/r${q.r}`,
            run: () => {
              q.phase = 'done';
              emit({ type: 'timedOut', p: pr.p, r: q.r });
            },
          });
        if (q.abortedPending)
          list.push({
            name: `record aborted p${pr.p}/r${q.r}`,
            run: () => {
              q.abortedPending = false;
              if (!q.hidden) q.phase = 'done';
              emit({ type: 'aborted', p: pr.p, r: q.r });
            },
          });
        if (q.hidden && !q.abortedPending)
          list.push({
            name: `late release p${pr.p}/r${q.r}`,
            run: () => {
              drop(q);
              q.hidden = false;
              q.phase = 'done';
            },
          });
        if (q.phase === 'queued' && q.published && !q.waitingRecorded)
          list.push({
            name: `record waiting p${pr.p}/r${q.r}`,
            run: () => {
              q.waitingRecorded = true;
              emit({ type: 'waiting', p: pr.p, r: q.r });
            },
          });
        if (q.phase === 'held')
          list.push({
            name: `release p${pr.p}/r${q.r}`,
            run: () => {
              emit({ type: 'released', p: pr.p, r: q.r });
              pr.busy = () => {
                pr.busy = null;
                drop(q);
                q.phase = 'done';
              };
            },
          });
        if (q.phase === 'held' && q.holding === 'write' && config.downgrades && !draining)
          list.push({
            name: `downgrade p${pr.p}/r${q.r}`,
            run: () => {
              emit({ type: 'downgraded', p: pr.p, r: q.r });
              pr.busy = () => {
                pr.busy = null;
                drop(q);
                holdRead(q);
                q.downgraded = true;
              };
            },
          });
        const abortable = q.phase === 'queued' || q.phase === 'granted' || q.phase === 'timedOutInternal';
        if (config.aborts && q.kind === 'wait' && abortable && !q.abortCalled && (!draining || q.phase === 'queued'))
          list.push({
            name: `abort p${pr.p}/r${q.r}`,
            weight: 3,
            run: () => {
              q.abortCalled = true;
              const abort = () => {
                pr.busy = null;
                if (q.phase === 'queued') {
                  unqueue(q);
                  q.phase = 'done';
                  q.abortedPending = true;
                } else if (q.phase === 'granted') {
                  q.hidden = true;
                  q.abortedPending = true;
                } else if (q.phase === 'timedOutInternal') {
                  q.phase = 'done';
                  q.abortedPending = true;
                }
              };
              if (config.recordAborting) {
                emit({ type: 'aborting', p: pr.p, r: q.r });
                pr.busy = abort;
              } else abort();
            },
          });
      }
      if (config.exits && !draining)
        list.push({
          name: `exit p${pr.p}`,
          weight: 1,
          run: () => {
            pr.alive = false;
            pr.end = 'exited';
          },
        });
    }
    return list;
  };

  // the random part
  for (let step = 0; step < 2000; step++) {
    const list = actions(false);
    list.push({ name: 'tick', weight: 3, run: () => (now += 1 + pick(25)) });
    if (list.length === 1) break; // only the tick
    let x = pick(list.reduce((n, a) => n + (a.weight ?? 10), 0));
    if (exhausted) break;
    const a = list.find((a) => (x -= a.weight ?? 10) < 0)!;
    a.run();
  }
  if (config.drain) {
    // Settle everything: every queued request of a live process is aborted (so nothing waits on a
    // writer that would never come), holds are released, dead processes are recovered and recorded.
    for (let step = 0; step < 2000; step++) {
      const list = actions(true);
      if (list.length === 0) break;
      // prefer whatever makes progress: everything but publishing, in list order
      const a = list.find((x) => !x.name.startsWith('publish') && !x.name.startsWith('abort')) ?? list[0]!;
      if (a.name.startsWith('abort') || a.name.startsWith('publish')) {
        // Only queued requests remain that cannot be granted: time them out or abort them.
        now += 1000;
        const again = actions(true).find((x) => x.name.startsWith('expire'));
        (again ?? a).run();
        continue;
      }
      a.run();
    }
  }
  // The runner records every death it caused or saw before it ends the history.
  for (const pr of procs) {
    if (!pr.alive && !pr.endRecorded) {
      pr.endRecorded = true;
      emit({ type: pr.end!, p: pr.p });
    }
  }
  return events;
}

/** A model configuration: 1 to `maxProcesses` processes and a random set of features. */
export function configArb(maxProcesses = 4): fc.Arbitrary<ModelConfig> {
  return fc.record({
    processes: fc.integer({ min: 1, max: maxProcesses }),
    kills: fc.boolean(),
    exits: fc.boolean(),
    aborts: fc.boolean(),
    recordAborting: fc.boolean(),
    timeouts: fc.boolean(),
    downgrades: fc.boolean(),
    tries: fc.boolean(),
    times: fc.boolean(),
    drain: fc.boolean(),
  });
}

/** Histories of the model with a bug (and otherwise random features). */
export function buggyHistoryArb(
  bug: ModelBug,
  overrides: Partial<ModelConfig> = {},
  maxProcesses = 4,
  maxChoices = 500,
): fc.Arbitrary<Generated> {
  return fc
    .tuple(configArb(maxProcesses), fc.array(fc.nat({ max: 1 << 20 }), { maxLength: maxChoices, size: 'max' }))
    .map(([config, choices]) => {
      const buggy = { ...config, ...overrides, bug };
      return { config: buggy, history: simulate(choices, buggy) };
    });
}

export interface Generated {
  config: ModelConfig;
  history: HistoryEvent[];
}

/** Valid histories of the reference model. */
export function validHistoryArb(maxProcesses = 4, maxChoices = 500): fc.Arbitrary<Generated> {
  return fc
    .tuple(configArb(maxProcesses), fc.array(fc.nat({ max: 1 << 20 }), { maxLength: maxChoices, size: 'max' }))
    .map(([config, choices]) => ({ config, history: simulate(choices, config) }));
}

// ---------------------------------------------------------------------------------------------------
// Mutations: each takes a valid history and a choice, returns an invalid history or null when the
// history offers no place for that mutation.

type Ev = HistoryEvent;

/** Renumbers seq 1..n in array order (t values are kept). */
export function renumber(events: readonly Ev[]): Ev[] {
  return events.map((e, i) => ({ ...e, seq: i + 1 }));
}

const keyOf = (e: Ev): string => ('r' in e ? `${e.p}/${e.r}` : `${e.p}`);
const endIndex = (h: readonly Ev[], p: number): number => {
  const i = h.findIndex((e) => e.p === p && (e.type === 'killed' || e.type === 'exited'));
  return i < 0 ? Infinity : i;
};
const nextProcess = (h: readonly Ev[]): number => h.reduce((m, e) => Math.max(m, e.p + 1), 0);

function findRequest(h: readonly Ev[], key: string): Extract<Ev, { type: 'request' }> | undefined {
  return h.find((e): e is Extract<Ev, { type: 'request' }> => e.type === 'request' && keyOf(e) === key);
}

/** Moves a `released` past a later conflicting grant of another request: an overlap. */
export function mutateOverlap(h: readonly Ev[], choice: number): Ev[] | null {
  const candidates: [number, number][] = [];
  for (let ia = 0; ia < h.length; ia++) {
    const rel = h[ia]!;
    if (rel.type !== 'released') continue;
    const key = keyOf(rel);
    const a = findRequest(h, key)!;
    const downgraded = h.some((e) => e.type === 'downgraded' && keyOf(e) === key);
    const aWrite = a.mode === 'write' && !downgraded;
    const end = endIndex(h, rel.p);
    for (let ib = ia + 1; ib < h.length && ib < end; ib++) {
      const g = h[ib]!;
      if (g.type !== 'granted' || keyOf(g) === key) continue;
      const b = findRequest(h, keyOf(g))!;
      if (aWrite || b.mode === 'write') candidates.push([ia, ib]);
    }
  }
  if (candidates.length === 0) return null;
  const [ia, ib] = candidates[choice % candidates.length]!;
  const out = [...h];
  const [rel] = out.splice(ia, 1);
  out.splice(ib, 0, rel!); // ib shifted by one: lands right after the grant
  return renumber(out);
}

/** Gives a settled request a second settle event: granted after a give-up, or a duplicate. */
export function mutateSettleTwice(h: readonly Ev[], choice: number): Ev[] | null {
  const settles = h
    .map((e, i) => [e, i] as const)
    .filter(([e]) => e.type === 'granted' || e.type === 'timedOut' || e.type === 'aborted' || e.type === 'tryFailed');
  if (settles.length === 0) return null;
  const [e, i] = settles[choice % settles.length]!;
  const end = Math.min(endIndex(h, e.p), h.length);
  const at = i + 1 + (Math.floor(choice / settles.length) % (end - i));
  const again: Ev = e.type === 'granted' ? { ...e } : { seq: 0, type: 'granted', p: e.p, r: (e as { r: number }).r };
  const out = [...h];
  out.splice(at, 0, again);
  return renumber(out);
}

/** Inserts a new process's reader, requested and granted while a writer provably waits. */
export function mutateWriterPreference(h: readonly Ev[], choice: number): Ev[] | null {
  const windows: [number, number][] = []; // (after waiting, before this index)
  for (let iw = 0; iw < h.length; iw++) {
    const w = h[iw]!;
    if (w.type !== 'waiting') continue;
    const key = keyOf(w);
    const req = findRequest(h, key)!;
    if (req.mode !== 'write') continue;
    const settle = h.findIndex(
      (e) => keyOf(e) === key && (e.type === 'granted' || e.type === 'timedOut' || e.type === 'aborted'),
    );
    if (settle >= 0) {
      if (h[settle]!.type === 'granted') windows.push([iw + 1, settle]);
      continue;
    }
    const aborting = h.some((e) => e.type === 'aborting' && keyOf(e) === key);
    if (req.timeoutMs !== undefined || aborting) continue;
    const end = endIndex(h, w.p);
    if (end === Infinity) windows.push([iw + 1, h.length]);
    else {
      let last = -1;
      for (let i = 0; i < end; i++) if (h[i]!.p === w.p) last = i;
      if (last > iw) windows.push([iw + 1, last]);
    }
  }
  if (windows.length === 0) return null;
  const [lo, hi] = windows[choice % windows.length]!;
  const at = lo + (Math.floor(choice / windows.length) % Math.max(1, hi - lo));
  const p = nextProcess(h);
  const t = h[at - 1]?.t;
  const tt = t !== undefined ? { t } : {};
  const out = [...h];
  out.splice(
    at,
    0,
    { seq: 0, type: 'request', p, r: 1, mode: 'read', kind: 'wait', ...tt },
    { seq: 0, type: 'granted', p, r: 1, ...tt },
    { seq: 0, type: 'released', p, r: 1, ...tt },
  );
  return renumber(out);
}

/** Drops the `released` of a process that is alive at the end: unreleased (with requireRelease). */
export function mutateDropRelease(h: readonly Ev[], choice: number): Ev[] | null {
  const idx = h.flatMap((e, i) => (e.type === 'released' && endIndex(h, e.p) === Infinity ? [i] : []));
  if (idx.length === 0) return null;
  const out = [...h];
  out.splice(idx[choice % idx.length]!, 1);
  return renumber(out);
}

/** A new process whose try fails before anything else happened. */
export function mutateTryFailedFirst(h: readonly Ev[], choice: number): Ev[] | null {
  const p = nextProcess(h);
  const mode: LockMode = choice % 2 === 0 ? 'read' : 'write';
  const zero = Math.floor(choice / 2) % 2 === 1;
  const t = h[0]?.t;
  const tt = t !== undefined ? { t } : {};
  const pre: Ev[] = zero
    ? [
        { seq: 0, type: 'request', p, r: 1, mode, kind: 'wait', timeoutMs: 0, ...tt },
        { seq: 0, type: 'timedOut', p, r: 1, ...tt },
      ]
    : [
        { seq: 0, type: 'request', p, r: 1, mode, kind: 'try', ...tt },
        { seq: 0, type: 'tryFailed', p, r: 1, ...tt },
      ];
  return renumber([...pre, ...h]);
}

/** Breaks the format: swapped seqs, or an event after the process's death. */
export function mutateMalformed(h: readonly Ev[], choice: number): Ev[] | null {
  const ends = h.flatMap((e, i) => (e.type === 'killed' || e.type === 'exited' ? [i] : []));
  if (choice % 2 === 0 && ends.length > 0) {
    const i = ends[Math.floor(choice / 2) % ends.length]!;
    const p = h[i]!.p;
    const out = renumber(h);
    out.push({ seq: out.length + 1, type: 'request', p, r: 999, mode: 'read', kind: 'wait' });
    return out;
  }
  if (h.length < 2) return null;
  const i = Math.floor(choice / 2) % (h.length - 1);
  const out = renumber(h);
  const a = out[i]!;
  const b = out[i + 1]!;
  out[i] = { ...a, seq: b.seq };
  out[i + 1] = { ...b, seq: a.seq };
  return out;
}

export const mutations = {
  overlap: mutateOverlap,
  grantAfterGiveUp: mutateSettleTwice,
  writerPreference: mutateWriterPreference,
  unreleased: mutateDropRelease,
  tryFailedWhileFree: mutateTryFailedFirst,
  malformed: mutateMalformed,
} as const;
