// Histories of lock operations recorded by real processes, and the checker that judges them.
//
// A history is the list of everything the processes of one run did with ONE lock, in one total order:
// every event carries `seq`, taken from a shared atomic counter in shared memory (never from a clock).
// The checker knows nothing of the library's internals; it only knows when each event was recorded
// relative to the library call it describes (see "Recording rules" below), and from that it derives
// conservative bounds: it reports a violation only when no real execution consistent with the
// recording rules and the README's semantics could have produced the history.
//
// Recording rules (the recorder MUST follow them, the checker relies on them):
//
//   request     recorded BEFORE calling read()/write()/tryRead()/tryWrite(). The library's actual
//               attempt therefore comes after it.
//   waiting     (write requests only matter) recorded only once it is CERTAIN that the request is
//               published to other processes as a waiting writer (the requester saw its own wait in
//               inspect(), or the request stayed pending over a delay long enough to be certain), and
//               while its promise is still pending. From this event on, writer preference applies.
//   granted     recorded by the grantee AFTER the promise resolved (or tryX returned a guard), inside
//               the critical section: the actual grant comes before it.
//   released    recorded BEFORE guard.release(), still holding; release() follows synchronously with no
//               other recorded event of that process in between.
//   downgraded  recorded BEFORE guard.downgrade(), still holding the write lock; downgrade() follows
//               synchronously.
//   timedOut    recorded after the promise rejected with LockTimeoutError (the native request is over).
//   aborting    recorded immediately BEFORE calling AbortController.abort() for a request. A recorder
//               that aborts without recording `aborting` must pass `unrecordedAborts: true` (otherwise
//               a writer aborted but not yet recorded as `aborted` would count as still waiting); an
//               `aborted` with no `aborting` is accepted, but then the checker cannot bound when that
//               request stopped waiting.
//   aborted     recorded after the promise rejected with the abort reason. NOTE: a grant that raced the
//               abort is released by the library later, when the grant's completion reaches JS, so an
//               aborted request may hold the lock invisibly for a while after `aborted`.
//   tryFailed   recorded after tryRead()/tryWrite() returned null.
//   killed      recorded by the RUNNER (another process) after it killed process p and saw it dead.
//   exited      recorded by the RUNNER after it saw process p exit by itself (with held guards or not:
//               the library releases those).
//
// Every event except killed/exited is recorded by process p itself. After killed/exited nothing more
// may be recorded for p, and the runner must record killed/exited for every process that died before
// the history ends (a dead process without one counts as alive and holding). Request ids are chosen
// by the process, unique within the process. Requests must not be rejected for other reasons
// (ERR_CLOSED etc.): the checker does not model them. The history must cover every use of the lock
// from its creation (a fresh name).
//
// Death (killed/exited): the exact moment a process died is unknown; it lies between its last own
// event and the killed/exited event, and its holds and waits may even outlive the death until another
// process recovers them. So for exclusion the checker ends a dead process's holds (and for writer
// preference its waits) at its LAST OWN EVENT: a conflicting grant after that is accepted, one before
// it is an overlap (the dead process was provably alive and holding at that event). For the "free"
// judgements (tryFailedWhileFree, progress) the checker assumes the opposite, that whatever a dead
// process held or waited for stayed in place as long as possible.

// ---------------------------------------------------------------------------------------------------
// Events

/** Index of a process in the run (chosen by the runner; not necessarily its pid). */
export type ProcessId = number;
/** Id of one request, chosen by its process; unique within that process. */
export type RequestId = number;
export type LockMode = 'read' | 'write';
/** 'wait': read()/write() (a promise); 'try': tryRead()/tryWrite() (a guard or null at once). */
export type RequestKind = 'wait' | 'try';

interface EventBase {
  /** Position in the total order: strictly increasing along the history (need not be contiguous). */
  seq: number;
  /** The process the event is about (for killed/exited: the dead process, not the recorder). */
  p: ProcessId;
  /**
   * Optional time in ms on a clock shared by all processes of the run (e.g.
   * `Number(process.hrtime.bigint()) / 1e6`, CLOCK_MONOTONIC on Linux; NOT performance.now(), whose
   * origin differs per process). Used only by `progressMs` and by the timeout bound of writer
   * preference, with `clockToleranceMs` of slack, and ignored where it goes backwards.
   */
  t?: number;
}

/** A request is about to be made (recorded before the library call). */
export interface RequestEvent extends EventBase {
  type: 'request';
  r: RequestId;
  mode: LockMode;
  kind: RequestKind;
  /** The `timeout` option of a 'wait' request, in ms; absent for no deadline. 0: fail unless free. */
  timeoutMs?: number;
}

/** The 'wait' request r is certainly queued and visible to other processes (see recording rules). */
export interface WaitingEvent extends EventBase {
  type: 'waiting';
  r: RequestId;
}

/** Request r holds the lock (recorded by the grantee, inside the critical section). */
export interface GrantedEvent extends EventBase {
  type: 'granted';
  r: RequestId;
  /** guard.abandoned (informational; the checker does not judge it). */
  abandoned?: boolean;
}

/** The guard of request r is about to be released (recorded while still holding). */
export interface ReleasedEvent extends EventBase {
  type: 'released';
  r: RequestId;
}

/** The 'wait' request r was rejected with LockTimeoutError. */
export interface TimedOutEvent extends EventBase {
  type: 'timedOut';
  r: RequestId;
}

/** The requester is about to abort the 'wait' request r (optional, recorded before abort()). */
export interface AbortingEvent extends EventBase {
  type: 'aborting';
  r: RequestId;
}

/** The 'wait' request r was rejected by its AbortSignal. */
export interface AbortedEvent extends EventBase {
  type: 'aborted';
  r: RequestId;
}

/** The 'try' request r returned null. */
export interface TryFailedEvent extends EventBase {
  type: 'tryFailed';
  r: RequestId;
}

/** The write guard of request r is about to become a read guard (recorded before downgrade()). */
export interface DowngradedEvent extends EventBase {
  type: 'downgraded';
  r: RequestId;
}

/** Process p was killed (recorded by the runner after the death). */
export interface KilledEvent extends EventBase {
  type: 'killed';
}

/** Process p exited by itself (recorded by the runner after the exit). */
export interface ExitedEvent extends EventBase {
  type: 'exited';
}

export type HistoryEvent =
  | RequestEvent
  | WaitingEvent
  | GrantedEvent
  | ReleasedEvent
  | TimedOutEvent
  | AbortingEvent
  | AbortedEvent
  | TryFailedEvent
  | DowngradedEvent
  | KilledEvent
  | ExitedEvent;

export type EventType = HistoryEvent['type'];
/** The events that concern one request (all but killed/exited). */
export type RequestScopedEvent = Exclude<HistoryEvent, KilledEvent | ExitedEvent>;
/** The events that settle a request; each request settles at most once. */
export type SettleEvent = GrantedEvent | TimedOutEvent | AbortedEvent | TryFailedEvent;
export type History = readonly HistoryEvent[];

// ---------------------------------------------------------------------------------------------------
// Checker API

export type ViolationKind =
  /** A write hold overlapping any other hold, or a read hold overlapping a write hold. */
  | 'overlap'
  /** With requireRelease: a grant of a process alive at the end of the history, never released. */
  | 'unreleased'
  /** A request settled twice (granted after timedOut/aborted/tryFailed, granted twice, ...). */
  | 'grantAfterGiveUp'
  /** A read requested after a write request was waiting was granted while that write still waited. */
  | 'writerPreference'
  /** A 'wait' request stayed pending while the lock was free for longer than the bound. */
  | 'progress'
  /** A try (or timeout 0) failed while nothing else was held, pending or in flight. */
  | 'tryFailedWhileFree'
  /** The history breaks the format: seq order, unknown request, event after death, ... */
  | 'malformed';

export interface Violation {
  kind: ViolationKind;
  /** Human-readable, names the requests as p<process>/r<request> and events as #<seq>. */
  message: string;
  /** Seqs of the events involved, ascending. */
  seqs: number[];
  /** Those events. */
  events: HistoryEvent[];
}

export interface CheckResult {
  ok: boolean;
  violations: Violation[];
}

export interface CheckOptions {
  /** Report grants of processes alive at the end of the history that were never released. Default false. */
  requireRelease?: boolean;
  /** Check writer preference (needs `waiting` events). Default true. */
  writerPreference?: boolean;
  /**
   * Eventual fairness (protocol 3): a read granted less than this many ms (by `t`) after the writer
   * began to wait may pass it; only later ones are reported. Default 0: strict writer preference.
   */
  overtakeGraceMs?: number;
  /** Report a failed try (or timeout-0 request) while the lock was provably idle. Default true. */
  tryFailedWhileFree?: boolean;
  /**
   * Progress in events: report a 'wait' request that stayed pending over more than this many
   * consecutive events during which the lock was free. Default: not checked.
   */
  progressBound?: number;
  /** Progress in time (needs `t`): the same, for a free span longer than this many ms. Default: not checked. */
  progressMs?: number;
  /** Slack for comparisons of `t` with timeouts, in ms. Default 5. */
  clockToleranceMs?: number;
  /**
   * Set when the recorder may abort a request without recording `aborting` first: then an unsettled
   * waiting writer may have been aborted at any time, and it is not held against readers. Default false.
   */
  unrecordedAborts?: boolean;
}

// ---------------------------------------------------------------------------------------------------
// Checker

interface Req {
  key: string;
  p: ProcessId;
  r: RequestId;
  request: RequestEvent;
  reqPos: number;
  waiting?: number; // positions in the history array
  aborting?: number;
  settle?: SettleEvent;
  settlePos?: number;
  grant?: GrantedEvent; // the first granted, even one after a give-up (the process thinks it holds)
  grantPos?: number;
  releasedPos?: number;
  downgradedPos?: number;
}

interface Proc {
  p: ProcessId;
  own: number[]; // positions of the events the process recorded itself, ascending
  endPos?: number; // position of killed/exited
  end?: KilledEvent | ExitedEvent;
}

const TERMINAL_NAMES: Record<SettleEvent['type'], string> = {
  granted: 'granted',
  timedOut: 'timed out',
  aborted: 'aborted',
  tryFailed: 'failed (try)',
};

function reqName(p: ProcessId, r: RequestId): string {
  return `p${p}/r${r}`;
}

/**
 * Judges a history. Violations (all reported, not just the first):
 *
 * - `overlap`: each grant holds over [granted, end], where end is its `released`, or, for a process
 *   that was killed or exited without releasing, the last event the process recorded itself, or the
 *   end of the history. A `downgraded` splits it: write over [granted, downgraded], read after. A grant
 *   inside another hold's span conflicts when either is in write mode then (within a process too: the
 *   lock is not reentrant). Holds as recorded lie inside the real holds, so this is sound.
 * - `unreleased` (requireRelease): a grant never released, by a process with no killed/exited event.
 * - `grantAfterGiveUp`: a second settling event (granted/timedOut/aborted/tryFailed) for a request.
 * - `writerPreference`: write request W with a `waiting` event at w; read request R with `request`
 *   after w, granted at g. If W was certainly still waiting (or holding) at g, that is a violation:
 *   for W granted later, always (W waited from w up to its grant, and had it been granted before R,
 *   the two would have held together at g); for W that timed out, only when
 *   g.t < W.request.t + timeoutMs - clockToleranceMs (the deadline cannot be earlier); for W aborted,
 *   only when g precedes W's `aborting`; for W whose process died unsettled, only when g precedes the
 *   process's last own event; for W still pending at the end (alive, no deadline, no `aborting`, and
 *   not unrecordedAborts), always. When several of these ends were possible, all must be after g.
 *   This holds for R in any process, W's own included (FIFO within a process), and for try reads
 *   (tryRead fails behind a waiting writer).
 * - `progress` (progressBound / progressMs): the lock counts as busy from each `granted` until the
 *   first event its process records after `released` (a dead process's unreleased hold: until its
 *   killed/exited event); a 'wait' request pending (until its settle, or its process's last own event)
 *   over a run of more than progressBound consecutive free events, or a free run whose first and last
 *   events are more than progressMs apart, is reported. This is a heuristic (a grant is only recorded
 *   when the grantee's event loop gets to it): choose generous bounds.
 * - `tryFailedWhileFree`: a try request (or a wait request with timeoutMs 0, which is a try) failed
 *   although no other request was possibly in flight between its `request` and its failure. A request
 *   counts as in flight from its `request` until: its settle event if it timed out or failed a try;
 *   for a grant, the first event its process records after `released` (an `exited` counts, a `killed`
 *   does not); forever if it was aborted (a racing grant is given back later), never settled, or
 *   granted and never provably released.
 * - `malformed`: seq not strictly increasing, duplicate request id, event for an unknown request,
 *   an event of a process after its killed/exited, kind mismatches (timedOut/aborted for a try,
 *   tryFailed for a wait, timedOut without timeoutMs), released/downgraded without a grant, released
 *   twice, downgraded twice, after release or on a read, waiting on a try or after the settle.
 */
export function check(history: History, options: CheckOptions = {}): CheckResult {
  const opts = {
    requireRelease: options.requireRelease ?? false,
    writerPreference: options.writerPreference ?? true,
    grace: options.overtakeGraceMs ?? 0,
    tryFailedWhileFree: options.tryFailedWhileFree ?? true,
    progressBound: options.progressBound,
    progressMs: options.progressMs,
    tol: options.clockToleranceMs ?? 5,
    unrecordedAborts: options.unrecordedAborts ?? false,
  };
  const violations: Violation[] = [];
  const report = (kind: ViolationKind, message: string, positions: Iterable<number | undefined>): void => {
    const ps = [...new Set([...positions].filter((x): x is number => x !== undefined))].sort((a, b) => a - b);
    const events = ps.map((i) => history[i]!);
    violations.push({ kind, message, seqs: events.map((e) => e.seq), events });
  };
  const at = (i: number): HistoryEvent => history[i]!;
  const seqOf = (i: number | undefined): string => (i === undefined ? '?' : `#${at(i).seq}`);

  // ---- pass 1: structure ----
  const reqs = new Map<string, Req>();
  const procs = new Map<ProcessId, Proc>();
  const proc = (p: ProcessId): Proc => {
    let x = procs.get(p);
    if (!x) procs.set(p, (x = { p, own: [] }));
    return x;
  };
  for (let i = 0; i < history.length; i++) {
    const e = at(i);
    if (!Number.isFinite(e.seq) || (i > 0 && !(e.seq > at(i - 1).seq))) {
      report('malformed', `seq ${e.seq} does not follow ${i > 0 ? at(i - 1).seq : '-'}`, [i - 1, i]);
    }
    const pr = proc(e.p);
    if (pr.end) {
      report('malformed', `p${e.p} recorded ${e.type} after its ${pr.end.type} event ${seqOf(pr.endPos)}`, [
        pr.endPos,
        i,
      ]);
      continue;
    }
    if (e.type === 'killed' || e.type === 'exited') {
      pr.end = e;
      pr.endPos = i;
      continue;
    }
    pr.own.push(i);
    const key = `${e.p}/${e.r}`;
    const name = reqName(e.p, e.r);
    if (e.type === 'request') {
      if (reqs.has(key)) {
        report('malformed', `${name} requested twice`, [reqs.get(key)!.reqPos, i]);
        continue;
      }
      if (
        (e.mode !== 'read' && e.mode !== 'write') ||
        (e.kind !== 'wait' && e.kind !== 'try') ||
        (e.timeoutMs !== undefined && (e.kind === 'try' || !(e.timeoutMs >= 0)))
      ) {
        report('malformed', `${name}: bad request (mode ${e.mode}, kind ${e.kind}, timeoutMs ${e.timeoutMs})`, [i]);
        continue;
      }
      reqs.set(key, { key, p: e.p, r: e.r, request: e, reqPos: i });
      continue;
    }
    const q = reqs.get(key);
    if (!q) {
      report('malformed', `${e.type} for ${name}, which was never requested`, [i]);
      continue;
    }
    switch (e.type) {
      case 'waiting':
        if (q.request.kind !== 'wait') report('malformed', `waiting for the try request ${name}`, [q.reqPos, i]);
        else if (q.settlePos !== undefined)
          report('malformed', `waiting for ${name} after it settled (${seqOf(q.settlePos)})`, [q.settlePos, i]);
        else if (q.waiting !== undefined) report('malformed', `${name} waiting twice`, [q.waiting, i]);
        else q.waiting = i;
        break;
      case 'aborting':
        if (q.request.kind !== 'wait') report('malformed', `aborting the try request ${name}`, [q.reqPos, i]);
        else if (q.aborting !== undefined) report('malformed', `${name} aborting twice`, [q.aborting, i]);
        else q.aborting = i;
        break;
      case 'granted':
      case 'timedOut':
      case 'aborted':
      case 'tryFailed': {
        if ((e.type === 'timedOut' || e.type === 'aborted') && q.request.kind !== 'wait') {
          report('malformed', `${e.type} for the try request ${name}`, [q.reqPos, i]);
          break;
        }
        if (e.type === 'tryFailed' && q.request.kind !== 'try') {
          report('malformed', `tryFailed for the wait request ${name}`, [q.reqPos, i]);
          break;
        }
        if (e.type === 'timedOut' && q.request.timeoutMs === undefined) {
          report('malformed', `${name} timed out without a timeout`, [q.reqPos, i]);
          break;
        }
        if (q.settle) {
          const what = e.type === 'granted' ? 'granted' : TERMINAL_NAMES[e.type];
          report(
            'grantAfterGiveUp',
            `${name} ${what} at #${e.seq} although it had already ${TERMINAL_NAMES[q.settle.type]} at ${seqOf(q.settlePos)}: every request settles once`,
            [q.reqPos, q.settlePos, i],
          );
        } else {
          q.settle = e;
          q.settlePos = i;
        }
        if (e.type === 'granted' && !q.grant) {
          q.grant = e;
          q.grantPos = i;
        }
        break;
      }
      case 'released':
        if (!q.grant) report('malformed', `released ${name}, which was never granted`, [q.reqPos, i]);
        else if (q.releasedPos !== undefined) report('malformed', `${name} released twice`, [q.releasedPos, i]);
        else q.releasedPos = i;
        break;
      case 'downgraded':
        if (!q.grant || q.request.mode !== 'write')
          report('malformed', `downgraded ${name}, which holds no write guard`, [q.reqPos, q.grantPos, i]);
        else if (q.releasedPos !== undefined)
          report('malformed', `downgraded ${name} after its release ${seqOf(q.releasedPos)}`, [q.releasedPos, i]);
        else if (q.downgradedPos !== undefined) report('malformed', `${name} downgraded twice`, [q.downgradedPos, i]);
        else q.downgradedPos = i;
        break;
    }
  }

  const all = [...reqs.values()];
  const lastOwn = (p: ProcessId): number => {
    const own = procs.get(p)!.own;
    return own[own.length - 1] ?? -1;
  };
  /** First position after `pos` that proves process p ran on: its next own event, or its `exited`. */
  const nextProof = (p: ProcessId, pos: number): number => {
    const pr = procs.get(p)!;
    for (const j of pr.own) if (j > pos) return j;
    if (pr.end?.type === 'exited') return pr.endPos!;
    return Infinity;
  };

  // ---- holds and overlap ----
  interface Hold {
    q: Req;
    start: number;
    down: number; // position of downgraded, or Infinity
    end: number; // last position at which it certainly held, or Infinity
  }
  const holds: Hold[] = [];
  for (const q of all) {
    if (q.grantPos === undefined) continue;
    const pr = procs.get(q.p)!;
    const end = q.releasedPos ?? (pr.end ? lastOwn(q.p) : Infinity);
    holds.push({ q, start: q.grantPos, down: q.downgradedPos ?? Infinity, end });
  }
  holds.sort((a, b) => a.start - b.start);
  const modeAt = (h: Hold, pos: number): LockMode => (h.q.request.mode === 'write' && pos < h.down ? 'write' : 'read');
  let active: Hold[] = [];
  for (const b of holds) {
    active = active.filter((a) => a.end > b.start);
    for (const a of active) {
      const aMode = modeAt(a, b.start);
      const bMode = b.q.request.mode;
      if (aMode === 'read' && bMode === 'read') continue;
      const until = a.end === Infinity ? 'the end' : seqOf(a.end);
      report(
        'overlap',
        `${reqName(b.q.p, b.q.r)} granted ${bMode} at ${seqOf(b.start)} while ${reqName(a.q.p, a.q.r)} held ${aMode} ` +
          `(granted ${seqOf(a.start)}${a.down !== Infinity ? `, downgraded ${seqOf(a.down)}` : ''}, held until ${until})`,
        [a.start, a.down === Infinity ? undefined : a.down, b.start, a.end === Infinity ? undefined : a.end],
      );
    }
    active.push(b);
  }

  // ---- unreleased ----
  if (opts.requireRelease) {
    for (const h of holds) {
      if (h.q.releasedPos === undefined && !procs.get(h.q.p)!.end) {
        report(
          'unreleased',
          `${reqName(h.q.p, h.q.r)} granted at ${seqOf(h.start)} was never released, and p${h.q.p} neither exited nor was killed`,
          [h.start],
        );
      }
    }
  }

  // ---- writer preference ----
  if (opts.writerPreference) {
    const tOf = (i: number): number | undefined => at(i).t;
    /** Whether write request w was certainly still waiting (or holding) when the grant at gp happened. */
    const blocking = (w: Req, gp: number): boolean => {
      if (w.grantPos !== undefined && w.settle?.type === 'granted') return gp < w.grantPos;
      const conds: boolean[] = [];
      if (w.settlePos !== undefined) conds.push(gp < w.settlePos);
      const tm = w.request.timeoutMs;
      if (tm !== undefined) {
        const t0 = w.request.t;
        const tg = tOf(gp);
        conds.push(t0 !== undefined && tg !== undefined && tg >= t0 && tg < t0 + tm - opts.tol);
      }
      const abortBefore = w.aborting !== undefined && (w.settlePos === undefined || w.aborting < w.settlePos);
      if (abortBefore) conds.push(gp < w.aborting!);
      else if (w.settle?.type === 'aborted' || (w.settlePos === undefined && opts.unrecordedAborts)) conds.push(false);
      if (w.settlePos === undefined && procs.get(w.p)!.end) conds.push(gp < lastOwn(w.p));
      return conds.every(Boolean);
    };
    const writers = all.filter((q) => q.request.mode === 'write' && q.waiting !== undefined);
    const readers = all.filter((q) => q.request.mode === 'read' && q.grantPos !== undefined);
    for (const w of writers) {
      for (const r of readers) {
        if (r.reqPos < w.waiting! || !blocking(w, r.grantPos!)) continue;
        const tw = tOf(w.waiting!);
        const tg = tOf(r.grantPos!);
        if (opts.grace > 0 && tw !== undefined && tg !== undefined && tg - tw < opts.grace) continue;
        report(
          'writerPreference',
          `${reqName(r.p, r.r)} (read, requested ${seqOf(r.reqPos)} after ${reqName(w.p, w.r)} was waiting to write at ` +
            `${seqOf(w.waiting)}) was granted at ${seqOf(r.grantPos)}, before the writer ` +
            (w.grantPos !== undefined && w.settle?.type === 'granted'
              ? `was granted at ${seqOf(w.grantPos)}`
              : w.settle
                ? `gave up (${w.settle.type} at ${seqOf(w.settlePos)})`
                : 'gave up'),
          [w.waiting, r.reqPos, r.grantPos, w.settle?.type === 'granted' ? w.settlePos : undefined],
        );
      }
    }
  }

  // ---- in flight (for the "free" judgements) ----
  /** Last position at which request q may still have been acting on the lock (Infinity: unknown). */
  const inFlightEnd = (q: Req): number => {
    if (q.grantPos !== undefined) return q.releasedPos === undefined ? Infinity : nextProof(q.p, q.releasedPos);
    if (!q.settle) return Infinity;
    if (q.settle.type === 'aborted') return Infinity;
    return q.settlePos!;
  };

  // ---- tryFailedWhileFree ----
  if (opts.tryFailedWhileFree) {
    for (const t of all) {
      const failedTry = t.settle?.type === 'tryFailed';
      const failedZero = t.settle?.type === 'timedOut' && t.request.timeoutMs === 0;
      if (!failedTry && !failedZero) continue;
      if (t.grantPos !== undefined) continue; // settled twice: already reported
      const q0 = t.reqPos;
      const f = t.settlePos!;
      const busy = all.some((y) => y !== t && y.reqPos < f && inFlightEnd(y) > q0);
      if (!busy) {
        report(
          'tryFailedWhileFree',
          `${reqName(t.p, t.r)} (${t.request.mode}${failedZero ? ', timeout 0' : ', try'}) failed at ${seqOf(f)} although ` +
            `no other request was held, pending or in flight since its request ${seqOf(q0)}`,
          [q0, f],
        );
      }
    }
  }

  // ---- progress ----
  if (opts.progressBound !== undefined || opts.progressMs !== undefined) {
    const n = history.length;
    const cover = new Array<number>(n + 1).fill(0);
    for (const h of holds) {
      const pr = procs.get(h.q.p)!;
      let last: number;
      if (h.q.releasedPos !== undefined) {
        const proof = nextProof(h.q.p, h.q.releasedPos);
        last = proof === Infinity ? (pr.endPos ?? n - 1) : proof;
      } else last = pr.endPos ?? n - 1;
      cover[h.start]! += 1;
      cover[Math.min(last, n - 1) + 1]! -= 1;
    }
    const free: boolean[] = [];
    let c = 0;
    for (let i = 0; i < n; i++) {
      c += cover[i]!;
      free.push(c === 0);
    }
    for (const q of all) {
      if (q.request.kind !== 'wait') continue;
      const pr = procs.get(q.p)!;
      const stop = Math.min(q.settlePos ?? n, pr.end ? lastOwn(q.p) + 1 : n);
      let runStart = -1;
      for (let i = q.reqPos + 1; i < stop; i++) {
        if (!free[i]) {
          runStart = -1;
          continue;
        }
        if (runStart < 0) runStart = i;
        const count = i - runStart + 1;
        const t0 = at(runStart).t;
        const t1 = at(i).t;
        const overCount = opts.progressBound !== undefined && count > opts.progressBound;
        const overTime =
          opts.progressMs !== undefined && t0 !== undefined && t1 !== undefined && t1 - t0 > opts.progressMs;
        if (overCount || overTime) {
          report(
            'progress',
            `${reqName(q.p, q.r)} (${q.request.mode}, requested ${seqOf(q.reqPos)}) stayed pending while the lock was free ` +
              `from ${seqOf(runStart)} to ${seqOf(i)} (${count} events${t0 !== undefined && t1 !== undefined ? `, ${(t1 - t0).toFixed(1)} ms` : ''})`,
            [q.reqPos, runStart, i],
          );
          break;
        }
      }
    }
  }

  return { ok: violations.length === 0, violations };
}

// ---------------------------------------------------------------------------------------------------
// Printing

/** One event on one line, e.g. `#12  p1 r3 request write wait timeout=100`. */
export function formatEvent(e: HistoryEvent): string {
  const head =
    `#${e.seq}`.padEnd(7) + (e.t !== undefined ? `${e.t.toFixed(1).padStart(11)}ms  ` : '') + `p${e.p}`.padEnd(4);
  switch (e.type) {
    case 'request':
      return `${head} r${e.r} request ${e.mode} ${e.kind}${e.timeoutMs !== undefined ? ` timeout=${e.timeoutMs}` : ''}`;
    case 'granted':
      return `${head} r${e.r} granted${e.abandoned ? ' (abandoned)' : ''}`;
    case 'killed':
    case 'exited':
      return `${head} ${e.type}`;
    default:
      return `${head} r${e.r} ${e.type}`;
  }
}

/** The history one event a line; events whose seq is in `highlight` are marked with `>>`. */
export function formatHistory(history: History, options: { highlight?: Iterable<number> } = {}): string {
  const marks = new Set(options.highlight ?? []);
  return history.map((e) => (marks.has(e.seq) ? '>> ' : '   ') + formatEvent(e)).join('\n');
}

/** `[kind] message (#seq, ...)`. */
export function formatViolation(v: Violation): string {
  return `[${v.kind}] ${v.message} (${v.seqs.map((s) => `#${s}`).join(', ')})`;
}

/** The violations, then the history with the events they involve marked. */
export function formatReport(history: History, result: CheckResult): string {
  if (result.ok) return `ok (${history.length} events)`;
  const lines = result.violations.map(formatViolation);
  const marks = result.violations.flatMap((v) => v.seqs);
  return `${lines.join('\n')}\n-- history --\n${formatHistory(history, { highlight: marks })}`;
}
