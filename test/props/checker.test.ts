// Tests of the history checker (history.ts) on synthetic histories: hand-written examples, valid
// histories of a reference model (synthetic.ts) that it must accept, and mutations of them that it
// must reject with the right kind of violation.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';
import {
  check,
  formatHistory,
  formatReport,
  type CheckOptions,
  type HistoryEvent,
  type LockMode,
  type ViolationKind,
} from './history.js';
import { buggyHistoryArb, mutations, simulate, validHistoryArb, type Generated } from './synthetic.js';

// ---- a small DSL for hand-written histories: seq is the position (1-based) ----

type Draft = HistoryEvent extends infer E ? (E extends HistoryEvent ? Omit<E, 'seq'> : never) : never;
const hist = (...events: Draft[]): HistoryEvent[] => events.map((e, i) => ({ ...e, seq: i + 1 }) as HistoryEvent);
const req = (
  p: number,
  r: number,
  mode: LockMode,
  extra: { try?: boolean; timeoutMs?: number; t?: number } = {},
): Draft => ({
  type: 'request',
  p,
  r,
  mode,
  kind: extra.try ? 'try' : 'wait',
  ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}),
  ...(extra.t !== undefined ? { t: extra.t } : {}),
});
const on =
  (type: 'waiting' | 'granted' | 'released' | 'timedOut' | 'aborting' | 'aborted' | 'tryFailed' | 'downgraded') =>
  (p: number, r: number, t?: number): Draft =>
    ({ type, p, r, ...(t !== undefined ? { t } : {}) }) as Draft;
const waiting = on('waiting');
const granted = on('granted');
const released = on('released');
const timedOut = on('timedOut');
const aborting = on('aborting');
const aborted = on('aborted');
const tryFailed = on('tryFailed');
const downgraded = on('downgraded');
const killed = (p: number): Draft => ({ type: 'killed', p });
const exited = (p: number): Draft => ({ type: 'exited', p });

function kinds(history: HistoryEvent[], options?: CheckOptions): ViolationKind[] {
  return [...new Set(check(history, options).violations.map((v) => v.kind))].sort();
}
function accepts(t: ExecutionContext, history: HistoryEvent[], options?: CheckOptions): void {
  const result = check(history, options);
  t.true(result.ok, formatReport(history, result));
}
function rejects(t: ExecutionContext, history: HistoryEvent[], kind: ViolationKind, options?: CheckOptions): void {
  const result = check(history, options);
  t.true(
    result.violations.some((v) => v.kind === kind),
    `expected ${kind}\n${formatReport(history, result)}\n${formatHistory(history)}`,
  );
}

// ---- hand-written examples ----

test('example: readers share, a writer follows', (t) => {
  accepts(
    t,
    hist(
      req(0, 1, 'read'),
      granted(0, 1),
      req(1, 1, 'read'),
      granted(1, 1),
      released(0, 1),
      released(1, 1),
      req(2, 1, 'write'),
      granted(2, 1),
      released(2, 1),
    ),
  );
});

test('example: a write grant inside a read hold is an overlap', (t) => {
  const h = hist(req(0, 1, 'read'), granted(0, 1), req(1, 1, 'write'), granted(1, 1), released(0, 1), released(1, 1));
  t.deepEqual(kinds(h), ['overlap']);
});

test('example: two writes of one process overlap too (not reentrant)', (t) => {
  const h = hist(req(0, 1, 'write'), granted(0, 1), req(0, 2, 'write'), granted(0, 2));
  t.deepEqual(kinds(h), ['overlap']);
});

test('example: a downgraded writer shares with later readers, not earlier ones', (t) => {
  accepts(
    t,
    hist(
      req(0, 1, 'write'),
      granted(0, 1),
      req(1, 1, 'read'),
      downgraded(0, 1),
      granted(1, 1),
      released(0, 1),
      released(1, 1),
    ),
  );
  const bad = hist(
    req(0, 1, 'write'),
    granted(0, 1),
    req(1, 1, 'read'),
    granted(1, 1),
    downgraded(0, 1),
    released(0, 1),
    released(1, 1),
  );
  t.deepEqual(kinds(bad), ['overlap']);
});

test('example: a killed holder holds until its last own event, not until `killed`', (t) => {
  // p0 dies some time after #3; recovery lets p1 in before the runner records the kill.
  accepts(
    t,
    hist(
      req(0, 1, 'write'),
      granted(0, 1),
      req(0, 2, 'read'),
      req(1, 1, 'write'),
      granted(1, 1),
      killed(0),
      released(1, 1),
    ),
  );
  // But p0 recorded an event (#5) after p1's grant (#4): it was alive and holding then.
  const bad = hist(req(0, 1, 'write'), granted(0, 1), req(1, 1, 'write'), granted(1, 1), req(0, 2, 'read'), killed(0));
  t.deepEqual(kinds(bad), ['overlap']);
});

test('example: an exited holder is released by the library', (t) => {
  accepts(t, hist(req(0, 1, 'write'), granted(0, 1), exited(0), req(1, 1, 'read'), granted(1, 1), released(1, 1)), {
    requireRelease: true,
  });
});

test('example: unreleased only with requireRelease and only for live processes', (t) => {
  const h = hist(req(0, 1, 'read'), granted(0, 1), req(1, 1, 'read'), granted(1, 1), killed(1));
  t.deepEqual(kinds(h), []);
  t.deepEqual(kinds(h, { requireRelease: true }), ['unreleased']);
  const v = check(h, { requireRelease: true }).violations[0]!;
  t.deepEqual(v.seqs, [2]);
  t.regex(v.message, /p0\/r1/);
});

test('example: granted after a timeout, or twice, settles twice', (t) => {
  t.deepEqual(kinds(hist(req(0, 1, 'write', { timeoutMs: 5 }), timedOut(0, 1), granted(0, 1), released(0, 1))), [
    'grantAfterGiveUp',
  ]);
  t.deepEqual(kinds(hist(req(0, 1, 'write'), aborted(0, 1), granted(0, 1))), ['grantAfterGiveUp']);
  t.deepEqual(kinds(hist(req(0, 1, 'read'), granted(0, 1), granted(0, 1))), ['grantAfterGiveUp']);
  t.deepEqual(kinds(hist(req(0, 1, 'read', { try: true }), tryFailed(0, 1), granted(0, 1))), ['grantAfterGiveUp']);
});

test('example: a new reader must not pass a waiting writer', (t) => {
  const base = [req(0, 1, 'read'), granted(0, 1), req(1, 1, 'write'), waiting(1, 1), req(2, 1, 'read')];
  // p2 read granted while p1 still waits: violation (even with no overlap)
  t.deepEqual(kinds(hist(...base, granted(2, 1), released(2, 1), released(0, 1), granted(1, 1), released(1, 1))), [
    'writerPreference',
  ]);
  // p2 granted after the writer: fine
  accepts(t, hist(...base, released(0, 1), granted(1, 1), released(1, 1), granted(2, 1), released(2, 1)));
  // the same with the rule off
  t.deepEqual(kinds(hist(...base, granted(2, 1), released(2, 1)), { writerPreference: false }), []);
  // a try read passing the waiting writer: violation too
  t.deepEqual(
    kinds(
      hist(
        req(1, 1, 'write'),
        req(0, 1, 'read'),
        granted(0, 1),
        waiting(1, 1),
        req(2, 1, 'read', { try: true }),
        granted(2, 1),
      ),
    ),
    ['writerPreference'],
  );
});

test('example: with overtakeGraceMs (eventual fairness) a reader may pass a young waiting writer only', (t) => {
  const h = (grantT: number) =>
    hist(
      req(0, 1, 'read', { t: 0 }),
      granted(0, 1, 0),
      req(1, 1, 'write', { t: 1 }),
      waiting(1, 1, 2),
      req(2, 1, 'read', { t: 3 }),
      granted(2, 1, grantT),
      released(2, 1, grantT + 1),
      released(0, 1, grantT + 2),
      granted(1, 1, grantT + 3),
      released(1, 1, grantT + 4),
    );
  t.deepEqual(kinds(h(50), { overtakeGraceMs: 100 }), [], 'granted 48 ms into the wait: allowed');
  t.deepEqual(kinds(h(150), { overtakeGraceMs: 100 }), ['writerPreference'], '148 ms into the wait: starved');
  t.deepEqual(kinds(h(50)), ['writerPreference'], 'strict without the grace');
});

test('example: writer preference starts at `waiting`, not at `request`', (t) => {
  // p2's read is requested before p1's write is known to be published: it may go first.
  accepts(
    t,
    hist(
      req(1, 1, 'write'),
      req(2, 1, 'read'),
      granted(2, 1),
      waiting(1, 1),
      released(2, 1),
      granted(1, 1),
      released(1, 1),
    ),
  );
  // A read requested earlier but granted while the writer waits is not judged either.
  accepts(
    t,
    hist(
      req(0, 1, 'read'),
      req(1, 1, 'write'),
      waiting(1, 1),
      granted(0, 1),
      released(0, 1),
      granted(1, 1),
      released(1, 1),
    ),
  );
});

test('example: a writer that timed out only blocks readers until its deadline (needs t)', (t) => {
  const h = (grantT: number) =>
    hist(
      req(0, 1, 'read', { t: 0 }),
      granted(0, 1, 0),
      req(1, 1, 'write', { timeoutMs: 50, t: 1 }),
      waiting(1, 1, 2),
      req(2, 1, 'read', { t: 3 }),
      granted(2, 1, grantT),
      timedOut(1, 1, 60),
      released(2, 1, 61),
      released(0, 1, 62),
    );
  t.deepEqual(kinds(h(20)), ['writerPreference']); // 20 < 1 + 50: the writer was certainly still waiting
  t.deepEqual(kinds(h(49)), []); // within the clock tolerance of the deadline
  t.deepEqual(kinds(h(55)), []);
  const untimed = h(20).map(({ t: _t, ...e }) => e as HistoryEvent);
  t.deepEqual(kinds(untimed), [], 'without times the deadline is unknown');
});

test('example: an aborted writer blocks readers until `aborting`', (t) => {
  const h = (abortFirst: boolean) =>
    hist(
      req(0, 1, 'read'),
      granted(0, 1),
      req(1, 1, 'write'),
      waiting(1, 1),
      req(2, 1, 'read'),
      ...(abortFirst ? [aborting(1, 1), granted(2, 1)] : [granted(2, 1), aborting(1, 1)]),
      aborted(1, 1),
      released(2, 1),
      released(0, 1),
    );
  t.deepEqual(kinds(h(false)), ['writerPreference']);
  t.deepEqual(kinds(h(true)), []);
});

test('example: a dead waiting writer blocks readers until its last own event', (t) => {
  const h = (readerFirst: boolean) =>
    hist(
      req(0, 1, 'read'),
      granted(0, 1),
      req(1, 1, 'write'),
      waiting(1, 1),
      req(2, 1, 'read'),
      ...(readerFirst ? [granted(2, 1), req(1, 2, 'read')] : [req(1, 2, 'read'), granted(2, 1)]),
      killed(1),
      released(2, 1),
      released(0, 1),
    );
  t.deepEqual(kinds(h(true)), ['writerPreference']);
  t.deepEqual(kinds(h(false)), []);
});

test('example: a try that fails on an idle lock', (t) => {
  t.deepEqual(kinds(hist(req(0, 1, 'write', { try: true }), tryFailed(0, 1))), ['tryFailedWhileFree']);
  t.deepEqual(kinds(hist(req(0, 1, 'read', { timeoutMs: 0 }), timedOut(0, 1))), ['tryFailedWhileFree']);
  t.deepEqual(kinds(hist(req(0, 1, 'read', { try: true }), tryFailed(0, 1)), { tryFailedWhileFree: false }), []);
  // held by another: fine
  accepts(
    t,
    hist(req(1, 1, 'read'), granted(1, 1), req(0, 1, 'write', { try: true }), tryFailed(0, 1), released(1, 1)),
  );
  // released is recorded before release(): until p1 records something else, the hold may still be there
  accepts(
    t,
    hist(
      req(1, 1, 'read'),
      granted(1, 1),
      released(1, 1),
      req(0, 1, 'write', { try: true }),
      tryFailed(0, 1),
      req(1, 2, 'read'),
    ),
  );
  t.deepEqual(
    kinds(hist(req(1, 1, 'read'), granted(1, 1), released(1, 1), req(1, 2, 'read', { try: true }), tryFailed(1, 2))),
    ['tryFailedWhileFree'],
  );
  // a pending writer elsewhere blocks try reads: fine
  accepts(t, hist(req(1, 1, 'write'), req(0, 1, 'read', { try: true }), tryFailed(0, 1)));
  // an aborted request may hold a racing grant for a while: never judged free after it
  accepts(t, hist(req(1, 1, 'write'), aborted(1, 1), req(0, 1, 'write', { try: true }), tryFailed(0, 1)));
  // a timed-out one is over when `timedOut` is recorded
  t.deepEqual(
    kinds(
      hist(req(1, 1, 'write', { timeoutMs: 5 }), timedOut(1, 1), req(0, 1, 'write', { try: true }), tryFailed(0, 1)),
    ),
    ['tryFailedWhileFree'],
  );
  // a killed holder may hold until recovered
  accepts(t, hist(req(1, 1, 'write'), granted(1, 1), killed(1), req(0, 1, 'write', { try: true }), tryFailed(0, 1)));
});

test('example: progress over free events and free time', (t) => {
  const filler = (n: number, from = 10) =>
    Array.from({ length: n }, (_, i) => req(from + i, 1, 'read', { t: 100 + 10 * i }));
  const h = (n: number) => hist(req(0, 1, 'write', { t: 0 }), ...filler(n));
  t.deepEqual(kinds(h(5), { progressBound: 5 }), []);
  t.deepEqual(kinds(h(6), { progressBound: 5 }), ['progress']);
  t.deepEqual(kinds(h(6)), [], 'off by default');
  t.deepEqual(kinds(h(6), { progressMs: 50 }), []); // 100 .. 150 is 50 ms
  t.deepEqual(kinds(h(7), { progressMs: 50 }), ['progress']);
  // a hold in between resets the run
  const busy = hist(
    req(0, 1, 'write'),
    ...filler(3),
    req(5, 1, 'read', { try: true }),
    granted(5, 1),
    released(5, 1),
    req(5, 2, 'read'),
    ...filler(3, 20),
  );
  t.deepEqual(kinds(busy, { progressBound: 4 }), []);
  t.deepEqual(kinds(busy, { progressBound: 3 }), ['progress']);
});

test('example: malformed histories', (t) => {
  t.deepEqual(kinds(hist(req(0, 1, 'read'), released(0, 1))), ['malformed']);
  t.deepEqual(kinds(hist(req(0, 1, 'read'), killed(0), granted(0, 1))), ['malformed']);
  t.deepEqual(kinds(hist(granted(0, 1))), ['malformed']);
  t.deepEqual(kinds(hist(req(0, 1, 'read'), req(0, 1, 'write'))), ['malformed']);
  t.deepEqual(kinds(hist(req(0, 1, 'read', { try: true }), timedOut(0, 1))), ['malformed']);
  t.deepEqual(kinds(hist(req(0, 1, 'read'), granted(0, 1), downgraded(0, 1))), ['malformed']);
  const swapped = hist(req(0, 1, 'read'), granted(0, 1), released(0, 1));
  swapped[2] = { ...swapped[2]!, seq: 1 };
  t.deepEqual(kinds(swapped), ['malformed']);
});

test('formatHistory and formatReport print one event a line and mark the culprits', (t) => {
  const h = hist(req(0, 1, 'read', { t: 1.5 }), granted(0, 1), req(1, 1, 'write', { timeoutMs: 10 }), granted(1, 1));
  const text = formatHistory(h, { highlight: [4] });
  const lines = text.split('\n');
  t.is(lines.length, 4);
  t.regex(lines[0]!, /#1 .*1\.5ms .*p0 +r1 request read wait/);
  t.regex(lines[2]!, /r1 request write wait timeout=10/);
  t.true(lines[3]!.startsWith('>> '));
  const report = formatReport(h, check(h));
  t.regex(report, /^\[overlap\] p1\/r1 granted write at #4 while p0\/r1 held read/);
  t.is(formatReport(h.slice(0, 2), check(h.slice(0, 2))), 'ok (2 events)');
});

// ---- properties over the reference model ----

const NUM_RUNS = 300;

function describe(g: Generated, options: CheckOptions): string {
  return `${JSON.stringify(g.config)}\n${formatReport(g.history, check(g.history, options))}`;
}

test('the reference model itself is exercised (sanity of the generator)', (t) => {
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(validHistoryArb(), (g) => {
      for (const e of g.history) seen.set(e.type, (seen.get(e.type) ?? 0) + 1);
    }),
    { numRuns: 200, seed: 42 },
  );
  for (const type of [
    'request',
    'waiting',
    'granted',
    'released',
    'timedOut',
    'aborting',
    'aborted',
    'tryFailed',
    'downgraded',
    'killed',
    'exited',
  ])
    t.true((seen.get(type) ?? 0) > 0, `the model never emitted ${type}`);
  // deterministic in its choices
  const config = {
    processes: 3,
    kills: true,
    exits: true,
    aborts: true,
    recordAborting: true,
    timeouts: true,
    downgrades: true,
    tries: true,
    times: true,
    drain: true,
  };
  const choices = Array.from({ length: 200 }, (_, i) => (i * 7919) % 1009);
  t.deepEqual(simulate(choices, config), simulate(choices, config));
});

test('property: every history of the reference model is accepted', (t) => {
  fc.assert(
    fc.property(validHistoryArb(), (g) => {
      const options: CheckOptions = { requireRelease: g.config.drain, unrecordedAborts: !g.config.recordAborting };
      if (!check(g.history, options).ok) throw new Error(describe(g, options));
      // without times the checker only knows less
      const untimed = g.history.map(({ t: _t, ...e }) => e as HistoryEvent);
      if (!check(untimed, options).ok) throw new Error(describe({ ...g, history: untimed }, options));
    }),
    { numRuns: NUM_RUNS },
  );
  t.pass();
});

for (const [name, mutate] of Object.entries(mutations) as [
  keyof typeof mutations,
  (h: HistoryEvent[], c: number) => HistoryEvent[] | null,
][]) {
  test(`property: mutation "${name}" is rejected as ${name}`, (t) => {
    let applied = 0;
    const options: CheckOptions = { requireRelease: name === 'unreleased' };
    fc.assert(
      fc.property(validHistoryArb(), fc.nat(), (g, choice) => {
        const bad = mutate(g.history, choice);
        if (bad === null) return;
        applied++;
        const result = check(bad, options);
        if (!result.violations.some((v) => v.kind === name))
          throw new Error(
            `not rejected as ${name}\n${describe({ ...g, history: bad }, options)}\n-- original --\n${formatHistory(g.history)}`,
          );
      }),
      { numRuns: NUM_RUNS },
    );
    t.true(applied >= NUM_RUNS / 10, `the mutation applied to only ${applied} of ${NUM_RUNS} histories`);
  });
}

// The checker finds real bugs in realistic histories: the same model with a bug in the lock.
const BUGS = [
  ['readersPassWaitingWriters', 'writerPreference', {}],
  ['writersIgnoreReaders', 'overlap', {}],
  // aborted requests make the checker assume the lock busy from then on: fewer of them here
  ['spuriousTryFailure', 'tryFailedWhileFree', { tries: true, aborts: false }],
] as const;
for (const [bug, kind, overrides] of BUGS) {
  test(`a lock with the bug "${bug}" yields ${kind} violations`, (t) => {
    let flagged = 0;
    let other = 0;
    fc.assert(
      fc.property(buggyHistoryArb(bug, overrides), (g) => {
        const result = check(g.history, { unrecordedAborts: !g.config.recordAborting });
        if (result.violations.some((v) => v.kind === kind)) flagged++;
        other += result.violations.filter((v) => v.kind !== kind && v.kind !== 'overlap').length;
      }),
      { numRuns: 300 },
    );
    t.true(flagged >= 2, `only ${flagged} of 300 buggy histories were flagged`);
    t.is(other, 0, 'no unrelated violations (overlap may follow from the bug)');
  });
}

test('property: progress is reported exactly past the bound', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 0, max: 30 }),
      fc.constantFrom<LockMode>('read', 'write'),
      (bound, n, mode) => {
        // p0 waits on a free lock while n other processes just request
        const h = hist(req(0, 1, mode), ...Array.from({ length: n }, (_, i) => req(i + 1, 1, 'read')));
        const reported = check(h, { progressBound: bound, writerPreference: true }).violations.filter(
          (v) => v.kind === 'progress',
        );
        const mine = reported.filter((v) => v.message.startsWith('p0/r1'));
        return mine.length > 0 === n > bound;
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});
