// npm run bench:diagnostics: what observing costs. W1 (one process, uncontended: `await write()` +
// `release()`, and `tryWrite()` + `release()`) with nobody subscribed, and with a subscriber on every
// channel (interlocked:acquire's five, interlocked:release, interlocked:recover). The variants run
// in alternating rounds in one process; medians of the rounds are reported. --write-doc rewrites
// the "Diagnostics" table of BENCHMARKS.md.
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
// INTERLOCK_BENCH_DIST: another build's dist/index.js (a checkout from before a change, to compare).
const { RwLock } = await import(process.env.INTERLOCK_BENCH_DIST ?? '../dist/index.mjs');

const args = process.argv.slice(2);
const writeDoc = args.includes('--write-doc');
const ms = Number(args[args.indexOf('--ms') + 1]) || 400;
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 7;

const name = `bench-diagnostics-${process.pid}`;
const lock = RwLock.open(name);

async function waitingOps(budgetMs) {
  let n = 0;
  const end = performance.now() + budgetMs;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) (await lock.write()).release();
    n += 1000;
  }
  return n;
}

function tryOps(budgetMs) {
  let n = 0;
  const end = performance.now() + budgetMs;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) lock.tryWrite().release();
    n += 1000;
  }
  return n;
}

const acquire = tracingChannel('interlocked:acquire');
const noop = () => {};
const tracing = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
const subscribe = () => {
  acquire.subscribe(tracing);
  channel('interlocked:release').subscribe(noop);
  channel('interlocked:recover').subscribe(noop);
};
const unsubscribe = () => {
  acquire.unsubscribe(tracing);
  channel('interlocked:release').unsubscribe(noop);
  channel('interlocked:recover').unsubscribe(noop);
};

const variants = ['none', 'subscribed'];
const samples = { none: { write: [], tryWrite: [] }, subscribed: { write: [], tryWrite: [] } };
await waitingOps(200); // warm up both paths
tryOps(200);
for (let r = 0; r < rounds; r++) {
  for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
    if (v === 'subscribed') subscribe();
    let t0 = performance.now();
    let n = await waitingOps(ms);
    samples[v].write.push(((performance.now() - t0) * 1e6) / n);
    t0 = performance.now();
    n = tryOps(ms);
    samples[v].tryWrite.push(((performance.now() - t0) * 1e6) / n);
    if (v === 'subscribed') unsubscribe();
  }
}
lock.close();
RwLock.unlink(name);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const row = (op) => {
  const none = median(samples.none[op]);
  const sub = median(samples.subscribed[op]);
  return { op, none, sub, ratio: sub / none };
};
const rows = [row('write'), row('tryWrite')];
const label = { write: '`await lock.write()` + `release()`', tryWrite: '`lock.tryWrite()` + `release()`' };
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`;
const table = [
  `Machine: ${machine}. Command: \`npm run bench:diagnostics\` (${rounds} alternating rounds of ${ms} ms per variant; medians).`,
  '',
  '| W1 operation | nobody subscribed | every channel subscribed | ratio |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${label[r.op]} | ${r.none.toFixed(0)} ns | ${r.sub.toFixed(0)} ns | ${r.ratio.toFixed(2)}× |`),
].join('\n');
console.log(table);

if (writeDoc) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const begin = '<!-- diagnostics:begin -->';
  const end = '<!-- diagnostics:end -->';
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error('BENCHMARKS.md has no diagnostics markers');
  writeFileSync(file, `${doc.slice(0, i + begin.length)}\n${table}\n${doc.slice(j)}`);
  console.log('BENCHMARKS.md updated');
}
