// Turns one run's results into the Markdown tables of BENCHMARKS.md, an SVG chart per workload,
// the issue's targets with their verdicts, and the CI regression guard.
import { barChart, lineChart } from './chart.mjs';
import { formatNumber as f } from './stats.mjs';

const FLOOR = 'floor';
const floorLabel = 'C pthread_rwlock (floor)';
const wakeLabel = 'no lock: Node wake via FIFO';

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? ':--' : '--:'))), ...rows.map(line)].join('\n');
}

const ratio = (value, base) => (Number.isFinite(value) && Number.isFinite(base) && base > 0 ? value / base : NaN);
const times = (x) => (Number.isFinite(x) ? `${f(x, 2)}×` : '—');

export function render(run, chosen) {
  const { results, machine, versions } = run;
  const label = (id) => (id === FLOOR ? floorLabel : id === 'node-wake' ? wakeLabel : id);
  const peerIds = chosen.map((c) => c.id).filter((id) => id !== 'interlock');
  const best = (metrics, key, lower = true) => {
    const vals = peerIds.map((id) => metrics?.[id]?.[key]).filter(Number.isFinite);
    if (!vals.length) return NaN;
    return lower ? Math.min(...vals) : Math.max(...vals);
  };
  const sections = [];
  const charts = {};
  const targets = [];
  const guard = [];
  const target = (name, measured, ok, goal) => targets.push({ name, measured, ok, goal });

  sections.push(
    `Measured ${machine.date} on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, ` +
      `Node ${machine.node}; the floor built with ${machine.compiler}. Every number is the median of ${run.runs} runs ` +
      `made one after another in a single invocation: \`${run.command}\`.`,
  );
  sections.push(
    table(
      ['contender', 'version'],
      [...Object.entries(versions).map(([id, v]) => [id, v]), [floorLabel, 'glibc, `bench/floor.c`']],
    ),
  );

  if (results.W1) {
    const r = results.W1;
    const base = r.interlock?.write;
    sections.push(
      '### W1: uncontended acquire + release\n\nOne process, nobody else near the lock; ns for one acquire and its release (lower is better). ' +
        '"vs interlock" divides the contender\'s `write` time by interlock\'s.',
      table(
        ['contender', 'write, waiting API (ns)', 'read (ns)', 'try write (ns)', 'try read (ns)', 'write vs interlock'],
        Object.entries(r).map(([id, m]) => [
          label(id),
          f(m.write),
          f(m.read),
          f(m.tryWrite),
          f(m.tryRead),
          times(ratio(m.write, base)),
        ]),
      ),
    );
    charts['w1.svg'] = barChart({
      title: 'W1: uncontended write acquire + release (lower is better)',
      subtitle: 'ns per pair, waiting API of each library; log scale',
      unit: 'ns',
      log: true,
      rows: Object.entries(r).map(([id, m]) => ({ label: label(id), value: m.write, highlight: id === 'interlock' })),
    });
    const bestPeer = best(r, 'write');
    if (r.interlock) {
      target(
        'W1 `await write()` + `release()` ≤ 1/4 of the best peer',
        `${f(base)} ns vs ${f(bestPeer)} ns (${times(ratio(base, bestPeer))})`,
        base <= bestPeer / 4,
        '≤ 0.25×',
      );
      if (r.floor) {
        const t = r.interlock.tryWrite;
        target(
          'W1 `tryWrite()` + `release()` ≤ 10× the C floor',
          `${f(t)} ns vs ${f(r.floor.tryWrite)} ns (${times(ratio(t, r.floor.tryWrite))})`,
          t <= 10 * r.floor.tryWrite,
          '≤ 10×',
        );
      }
      guard.push({ ok: base <= bestPeer, text: `W1 write: interlock ${f(base)} ns, best peer ${f(bestPeer)} ns` });
    }
  }

  if (results.W2) {
    const r = results.W2;
    const base = r.interlock?.opsPerSec;
    sections.push(
      `### W2: ${run.options.W2.procs} processes contending for the write lock\n\nEach process loops: write lock, read a counter in shared memory, write it back plus one, release. ` +
        'Lost updates = operations counted minus the counter (anything but 0 is a broken lock). ' +
        '"smallest share" is the least busy process\'s fraction of all operations.',
      table(
        ['contender', 'ops/s', 'smallest share', 'lost updates', 'interlock is'],
        Object.entries(r).map(([id, m]) => [
          label(id),
          f(m.opsPerSec),
          `${(m.minShare * 100).toFixed(1)} %`,
          f(m.lost),
          id === 'interlock' ? '' : times(ratio(base, m.opsPerSec)),
        ]),
      ),
    );
    charts['w2.svg'] = barChart({
      title: `W2: ${run.options.W2.procs} processes contending on write (higher is better)`,
      subtitle: 'lock + non-atomic counter increment + unlock, operations per second, all processes',
      unit: 'ops/s',
      log: true,
      rows: Object.entries(r).map(([id, m]) => ({
        label: label(id),
        value: m.opsPerSec,
        highlight: id === 'interlock',
      })),
    });
    if (r.interlock) {
      const bestPeer = best(r, 'opsPerSec', false);
      target(
        "W2 ≥ 3× the best peer's ops/s",
        `${f(base)} vs ${f(bestPeer)} (${times(ratio(base, bestPeer))})`,
        base >= 3 * bestPeer,
        '≥ 3×',
      );
      const lost = Object.entries(r)
        .filter(([, m]) => m.lost !== 0)
        .map(([id]) => id);
      target(
        'W2 lost updates 0',
        `interlock ${f(r.interlock.lost)}${lost.length ? `; non-zero: ${lost.join(', ')}` : ''}`,
        r.interlock.lost === 0,
        '0',
      );
      target(
        'W2 every process ≥ 1/3 of the operations',
        `smallest share ${(r.interlock.minShare * 100).toFixed(1)} %`,
        r.interlock.minShare >= 1 / 3,
        '≥ 33.3 %',
      );
    }
  }

  if (results.W2R) {
    const counts = Object.keys(results.W2R)
      .map(Number)
      .sort((a, b) => a - b);
    const BASE = 'fs-native-extensions';
    const floorForms = { wait: '`pthread_rwlock_wrlock`', tryFirst: '`trywrlock`, on `EBUSY` `wrlock`' };
    const formOf = (id, form) => (id === FLOOR ? floorForms : chosen.find((c) => c.id === id)?.forms)?.[form] ?? form;
    const wait = (v) => (Number.isFinite(v) && v >= 1000 ? `${f(v / 1000)} ms` : `${f(v)} µs`);
    const baseOf = (procs) => results.W2R[procs][BASE]?.tryFirst?.opsPerSec;
    const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '—');
    const rows = [];
    for (const procs of counts) {
      for (const [id, byForm] of Object.entries(results.W2R[procs])) {
        for (const [form, m] of Object.entries(byForm)) {
          rows.push([
            String(procs),
            label(id),
            formOf(id, form),
            f(m.opsPerSec),
            times(ratio(m.opsPerSec, baseOf(procs))),
            f(m.lost),
            pct(m.minFairShare),
            f(m.waitP50Us),
            f(m.waitP99Us),
            f(m.waitMaxUs),
            Number.isFinite(m.busyElsewhereCores) ? m.busyElsewhereCores.toFixed(2) : '—',
          ]);
        }
      }
    }
    sections.push(
      `### W2-real: ${counts.join(' and ')} processes, write lock around real file work\n\n` +
        'Each process loops: take the write lock, `fs.readSync` 16 bytes at offset 0 of a file all of them share ' +
        '(opened once per process, descriptor kept), `fs.writeSync` 8 bytes three times (the first writes back the ' +
        '64-bit counter at offset 0 plus one), release. Each library is measured in two forms: its waiting call, and ' +
        'try-first (its try, then the waiting call only when the lock was taken). Lost updates = operations counted ' +
        "minus the file's counter; smallest share = the least busy process's operations as a fraction of its fair " +
        'share (all operations ÷ processes); wait = from asking for the lock to holding it, over every acquisition of ' +
        `every process (p50 and p99 from a histogram, within 3 %). "vs ${BASE} try-first" divides ops/s by that form's ` +
        'at the same process count. The C floor does the same work with `pread` / `pwrite` under a process-shared ' +
        '`pthread_rwlock`. "busy elsewhere" is the CPU the rest of the machine used meanwhile (`/proc/stat` less the ' +
        "measured processes' own CPU time): where it nears a whole core, two processes mostly take turns on one CPU " +
        'instead of contending from two. Lost updates and max wait are the worst of the runs, the rest medians.',
      table(
        [
          'processes',
          'contender',
          'form',
          'ops/s',
          `vs ${BASE} try-first`,
          'lost updates',
          'smallest share',
          'wait p50 (µs)',
          'wait p99 (µs)',
          'wait max (µs)',
          'busy elsewhere (cores)',
        ],
        rows,
      ),
    );
    for (const procs of counts) {
      charts[`w2r-${procs}.svg`] = barChart({
        title: `W2-real: ${procs} processes, write lock around real file work (higher is better)`,
        subtitle: 'lock + read 16 bytes + write 8 bytes three times + unlock, operations per second, all processes',
        unit: 'ops/s',
        log: true,
        rows: Object.entries(results.W2R[procs]).flatMap(([id, byForm]) =>
          Object.entries(byForm).map(([form, m]) => ({
            label: `${id === FLOOR ? 'C pthread_rwlock' : label(id)}, ${form === 'tryFirst' ? 'try-first' : 'waiting'}`,
            value: m.opsPerSec,
            highlight: id === 'interlock',
          })),
        ),
      });
    }
    const mine = (procs) => results.W2R[procs].interlock;
    if (counts.some((procs) => mine(procs))) {
      const measured = counts.filter((procs) => mine(procs));
      const forms = Object.keys(mine(measured[0]));
      for (const procs of measured) {
        const base = baseOf(procs);
        for (const form of forms) {
          const ops = mine(procs)[form]?.opsPerSec;
          const known = Number.isFinite(ops) && Number.isFinite(base);
          target(
            `W2-real ${procs} procs: interlocked ${formOf('interlock', form)} ≥ 1.5× ${BASE} try-first`,
            `${f(ops)} vs ${f(base)} ops/s (${times(ratio(ops, base))})`,
            known ? ops >= 1.5 * base : null,
            '≥ 1.5×',
          );
          guard.push({
            ok: known && ops >= 1.5 * base,
            enforced: false,
            text: `W2-real ${procs} procs ${form}: interlock ${f(ops)} ops/s, ${BASE} try-first ${f(base)} ops/s (${times(ratio(ops, base))}, goal 1.5×)`,
            data: { workload: 'W2R', procs, form, opsPerSec: ops, baseOpsPerSec: base, goalRatio: 1.5 },
          });
        }
      }
      // One row per property, over both forms and every process count: "2 procs: a / b; 8 procs: c / d".
      const every = (key, show) =>
        measured
          .map((procs) => `${procs} procs: ${forms.map((form) => show(mine(procs)[form]?.[key])).join(' / ')}`)
          .join('; ') + ` (${forms.map((form) => formOf('interlock', form)).join(' / ')})`;
      const all = (key, ok) => measured.every((procs) => forms.every((form) => ok(mine(procs)[form]?.[key])));
      const lossy = counts.flatMap((procs) =>
        Object.entries(results.W2R[procs]).flatMap(([id, byForm]) =>
          Object.entries(byForm)
            .filter(([, m]) => m.lost !== 0)
            .map(([form]) => `${label(id)} ${form} (${procs})`),
        ),
      );
      target(
        'W2-real lost updates 0',
        every('lost', f) + (lossy.length ? `; non-zero: ${lossy.join(', ')}` : ''),
        all('lost', (v) => v === 0),
        '0',
      );
      target(
        'W2-real every process ≥ 1/3 of its fair share',
        every('minFairShare', pct),
        all('minFairShare', (v) => v >= 1 / 3),
        '≥ 33.3 %',
      );
      target(
        'W2-real p99 wait < 2 ms',
        every('waitP99Us', wait),
        all('waitP99Us', (v) => v < 2000),
        '< 2 ms',
      );
      target(
        'W2-real max wait < 10 ms',
        every('waitMaxUs', wait),
        all('waitMaxUs', (v) => v < 10_000),
        '< 10 ms',
      );
      for (const procs of measured) {
        for (const form of forms) {
          guard.push({
            ok: mine(procs)[form]?.lost === 0,
            enforced: false,
            text: `W2-real ${procs} procs ${form}: interlock lost updates ${f(mine(procs)[form]?.lost)}`,
            data: { workload: 'W2R', procs, form, lost: mine(procs)[form]?.lost },
          });
        }
      }
    }
  }

  if (results.W3) {
    const r = results.W3;
    const base = r.interlock?.p50;
    sections.push(
      '### W3: handoff latency\n\nProcess A holds the write lock, B asks for it and is given 3 ms to be parked; A stamps ' +
        '`process.hrtime.bigint()` and releases, B stamps when its request resolves. µs from the release stamp to the grant stamp. ' +
        `"${wakeLabel}" is no lock at all: the same two processes, B's idle event loop woken by one byte A writes to a FIFO, ` +
        'the least any lock that hands over to JavaScript in another process can cost.',
      table(
        ['contender', 'p50 (µs)', 'p99 (µs)', 'p50 vs interlock'],
        Object.entries(r).map(([id, m]) => [label(id), f(m.p50), f(m.p99), times(ratio(m.p50, base))]),
      ),
    );
    charts['w3.svg'] = barChart({
      title: 'W3: handoff latency between two processes, p50 (lower is better)',
      subtitle: "µs from the holder's release to the waiter's grant; log scale",
      unit: 'µs',
      log: true,
      rows: Object.entries(r).map(([id, m]) => ({ label: label(id), value: m.p50, highlight: id === 'interlock' })),
    });
    if (r.interlock) {
      const bestPeer = best(r, 'p50');
      target(
        'W3 p50 ≤ 1/4 of the best peer',
        `${f(base)} µs vs ${f(bestPeer)} µs (${times(ratio(base, bestPeer))})`,
        base <= bestPeer / 4,
        '≤ 0.25×',
      );
      if (r.floor)
        target(
          'W3 p50 ≤ 5× the C floor',
          `${f(base)} µs vs ${f(r.floor.p50)} µs (${times(ratio(base, r.floor.p50))})`,
          base <= 5 * r.floor.p50,
          '≤ 5×',
        );
      if (r['node-wake'])
        target(
          'W3 p50 ≤ 1.2× waking an idle Node event loop, no lock',
          `${f(base)} µs vs ${f(r['node-wake'].p50)} µs (${times(ratio(base, r['node-wake'].p50))})`,
          base <= 1.2 * r['node-wake'].p50,
          '≤ 1.2×',
        );
      const bestPeerId = peerIds.find((id) => r[id]?.p50 === bestPeer);
      guard.push({
        ok: base <= bestPeer,
        text: `W3 p50: interlock ${f(base)} µs, best peer ${f(bestPeer)} µs`,
        data: { workload: 'W3', peer: bestPeerId },
      });
    }
  }

  if (results.W3N) {
    const counts = Object.keys(results.W3N).map(Number);
    const most = Math.max(...counts);
    const least = Math.min(...counts);
    const ids = Object.keys(results.W3N[most]);
    sections.push(
      `### W3 with many waiters: one wake-up per handoff\n\n${counts.join(' or ')} processes wait for the write lock; the holder ` +
        'stamps and releases, one waiter is granted (µs from the release stamp to its grant stamp), and the old holder asks ' +
        'again at the back. *Woken* is how many of the waiting processes ran at all in the 3 ms after the release (any ' +
        'of their threads context-switched, read from `/proc/<pid>/task/*/status` before and after): 1 is the winner ' +
        'alone, the number of waiters is a thundering herd. Each waiter has waited at least 4 ms when the release comes.',
      table(
        [
          'contender',
          ...counts.map((n) => `p50, ${n} waiting (µs)`),
          `${most} vs ${least} waiting`,
          ...counts.map((n) => `woken per handoff, ${n} waiting`),
        ],
        ids.map((id) => [
          label(id),
          ...counts.map((n) => f(results.W3N[n][id]?.p50)),
          times(ratio(results.W3N[most][id]?.p50, results.W3N[least][id]?.p50)),
          ...counts.map((n) => f(results.W3N[n][id]?.wokenMean)),
        ]),
      ),
    );
    const mineMost = results.W3N[most].interlock;
    const mineLeast = results.W3N[least].interlock;
    if (mineMost && mineLeast && most > least) {
      target(
        `W3 handoff p50 with ${most} waiting ≤ 1.3× with ${least}`,
        `${f(mineMost.p50)} µs vs ${f(mineLeast.p50)} µs (${times(ratio(mineMost.p50, mineLeast.p50))})`,
        mineMost.p50 <= 1.3 * mineLeast.p50,
        '≤ 1.3×',
      );
      target(
        `W3 processes woken per handoff with ${most} waiting`,
        `${f(mineMost.wokenMean)} (median ${f(mineMost.wokenP50)})`,
        mineMost.wokenP50 === 1,
        '1',
      );
    }
  }

  if (results.W4) {
    const r = results.W4;
    sections.push(
      `### W4: event-loop delay while waiting\n\nB waits ${run.options.W4.holdMs} ms for a lock A holds; \`perf_hooks.monitorEventLoopDelay({ resolution: 1 })\` runs in B for the whole wait.`,
      table(
        ['contender', 'max delay (ms)', 'p99 delay (ms)', 'waited (ms)'],
        Object.entries(r).map(([id, m]) => [label(id), f(m.maxMs), f(m.p99Ms), f(m.waitedMs)]),
      ),
    );
    charts['w4.svg'] = barChart({
      title: 'W4: worst event-loop delay while waiting for a lock (lower is better)',
      subtitle: `max over a ${run.options.W4.holdMs} ms wait, ms`,
      unit: 'ms',
      rows: Object.entries(r).map(([id, m]) => ({ label: label(id), value: m.maxMs, highlight: id === 'interlock' })),
    });
    if (r.interlock)
      target('W4 max event-loop delay ≤ 10 ms', `${f(r.interlock.maxMs)} ms`, r.interlock.maxMs <= 10, '≤ 10 ms');
  }

  if (results.W5) {
    const rows = [];
    for (const [waiters, byId] of Object.entries(results.W5)) {
      for (const [id, m] of Object.entries(byId)) {
        const never = m.blocked && !Number.isFinite(m.p50Ms) ? 'never finished' : null;
        rows.push([
          String(waiters),
          label(id),
          never ?? f(m.p50Ms),
          never ?? f(m.maxMs),
          f(m.reads),
          m.blocked ? 'yes' : 'no',
        ]);
      }
    }
    sections.push(
      `### W5: the rest of the process while requests wait\n\nB starts 8 or 64 lock requests (each on its own handle) for a lock A holds for ${run.options.W5.holdMs} ms, then runs \`fs.promises.readFile\` on a 4 KiB file back to back until the hold is over. ` +
        'Latency of those reads; "blocked" means a read had not finished 3 s after the hold ended.',
      table(['waiting', 'contender', 'readFile p50 (ms)', 'max (ms)', 'reads done', 'blocked'], rows),
    );
    const w64 = results.W5[64] ?? results.W5[Object.keys(results.W5).at(-1)];
    charts['w5.svg'] = barChart({
      title: 'W5: fs.promises.readFile latency with 64 lock requests waiting (lower is better)',
      subtitle: 'p50, ms; log scale; "blocked": never finished while the threadpool was full of lock calls',
      unit: 'ms',
      log: true,
      rows: Object.entries(w64).map(([id, m]) => ({
        label: label(id),
        value: m.p50Ms,
        highlight: id === 'interlock',
        note: m.blocked && !Number.isFinite(m.p50Ms) ? 'blocked: not done 3 s after the hold' : undefined,
      })),
    });
    if (w64?.interlock)
      target(
        'W5 readFile p50 ≤ 2 ms with 64 waiters',
        `${f(w64.interlock.p50Ms)} ms`,
        w64.interlock.p50Ms <= 2,
        '≤ 2 ms',
      );
  }

  if (results.W6) {
    const counts = Object.keys(results.W6)
      .map(Number)
      .sort((a, b) => a - b);
    const ids = Object.keys(results.W6[counts[0]]);
    sections.push(
      `### W6: read scalability\n\nN processes each take and release the read lock in a loop; read acquisitions per second, all processes together. ` +
        `This machine has ${machine.cores} cores, so beyond ${machine.cores} processes they share cores.`,
      table(
        ['contender', ...counts.map((n) => `${n} reader${n > 1 ? 's' : ''}`), `${counts.at(-1)} ÷ 1`],
        ids.map((id) => [
          label(id),
          ...counts.map((n) => f(results.W6[n][id].opsPerSec)),
          times(ratio(results.W6[counts.at(-1)][id].opsPerSec, results.W6[counts[0]][id].opsPerSec)),
        ]),
      ),
    );
    charts['w6.svg'] = lineChart({
      title: 'W6: read acquisitions per second, all reader processes (higher is better)',
      subtitle: `${machine.cores}-core machine; log scale`,
      xLabel: 'reader processes',
      yLabel: 'reads/s',
      series: ids.map((id) => ({
        label: label(id),
        highlight: id === 'interlock',
        points: counts.map((n) => [n, results.W6[n][id].opsPerSec]),
      })),
    });
    if (results.W6[counts[0]].interlock) {
      const scale = ratio(results.W6[counts.at(-1)].interlock.opsPerSec, results.W6[counts[0]].interlock.opsPerSec);
      const applies = machine.cores >= 16 && counts.at(-1) >= 16;
      target(
        `W6 ${counts.at(-1)} readers ≥ 8× one reader (on ≥ 16 cores)`,
        `${times(scale)} on ${machine.cores} cores`,
        applies ? scale >= 8 : null,
        applies ? '≥ 8×' : 'report only (not 16 cores)',
      );
    }
  }

  if (results.W7) {
    const r = results.W7;
    sections.push(
      "### W7: recovery after SIGKILL of the write holder\n\nB waits for the write lock; the driver SIGKILLs A, the holder. ms from the kill to B's grant.",
      table(
        ['contender', 'p50 (ms)', 'max (ms)', 'kills per run'],
        Object.entries(r).map(([id, m]) => [label(id), f(m.p50Ms), f(m.maxMs), f(m.kills)]),
      ),
    );
    charts['w7.svg'] = barChart({
      title: 'W7: recovery after SIGKILL of the holder (lower is better)',
      subtitle: "ms from the kill to the waiter's grant, p50; log scale",
      unit: 'ms',
      log: true,
      rows: Object.entries(r).map(([id, m]) => ({ label: label(id), value: m.p50Ms, highlight: id === 'interlock' })),
    });
    if (r.interlock)
      target('W7 recovery p50 ≤ 100 ms', `${f(r.interlock.p50Ms)} ms`, r.interlock.p50Ms <= 100, '≤ 100 ms');
  }

  const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'met' : '**missed**');
  const targetsTable = table(
    ['target', 'goal', 'measured', 'verdict'],
    targets.map((t) => [t.name, t.goal, t.measured, verdict(t.ok)]),
  );
  const chartLinks = Object.keys(charts).map(
    (file) => `![${file.replace('.svg', '').toUpperCase()}](bench/charts/${file})`,
  );
  const markdown = ['### Targets', targetsTable, ...sections, '### Charts', ...chartLinks].join('\n\n') + '\n';
  const targetsText = targets
    .map((t) => `${verdict(t.ok).replace(/\*/g, '').padEnd(7)} ${t.name}: ${t.measured}`)
    .join('\n');
  return { markdown, charts, targetsText, guard };
}
