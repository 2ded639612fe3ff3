// npm run demo: the seed's use case. One process captures video-like frames into shared memory;
// another runs a Piscina pool that reads them under read locks and analyses them. A live line shows
// the rates, lock waits, event-loop delay and torn frames (always 0); a table sums it up. A torn
// frame fails the run.
//
//   node examples/frame-pipeline/main.mjs [--duration s] [--rate fps] [--size bytes] [--workers n]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { RwLock, SharedMemory } from 'interlocked';
import { SLOTS, control, lockName, memoryBytes } from './frames.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    rate: { type: 'string', default: '60' },
    size: { type: 'string', default: String(1 << 20) },
    workers: { type: 'string', default: '4' },
    quiet: { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration) * 1000;
const rate = Number(values.rate);
const frameSize = Number(values.size) & ~3;
const workers = Number(values.workers);
if (!(duration > 0 && rate > 0 && frameSize >= 64 && workers >= 1)) {
  console.error('usage: main.mjs [--duration s > 0] [--rate fps > 0] [--size bytes >= 64] [--workers n >= 1]');
  process.exit(2);
}

const name = `demo-frames-${process.pid}`;
const memory = SharedMemory.open(name, { size: memoryBytes(frameSize) });
const ctl = control(memory.buffer);
const here = (file) => new URL(file, import.meta.url);
const consumer = fork(here('./consumer.mjs'), [name, String(frameSize), String(workers)]);
while (Atomics.load(ctl, 2) < 1) await new Promise((r) => setTimeout(r, 5));
const producer = fork(here('./producer.mjs'), [name, String(frameSize), String(rate), String(duration)]);

const percentile = (xs, p) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const started = performance.now();
const readWaits = [];
let progress = { read: 0, torn: 0, loopP99: 0 };
let produced = null;
consumer.on('message', (m) => {
  readWaits.push(...m.waits);
  progress = m;
});
producer.on('message', (m) => (produced = m));

const live = setInterval(() => {
  if (values.quiet) return;
  const secs = (performance.now() - started) / 1000;
  const written = Atomics.load(ctl, 0);
  process.stdout.write(
    `\r${secs.toFixed(1)} s  written ${written} (${(written / secs).toFixed(0)}/s)  read ${progress.read} (${(progress.read / secs).toFixed(0)}/s)` +
      `  read-lock wait p50 ${percentile(readWaits, 50).toFixed(3)} ms p99 ${percentile(readWaits, 99).toFixed(3)} ms` +
      `  loop p99 ${progress.loopP99.toFixed(1)} ms  torn ${progress.torn}   `,
  );
}, 250);

const [[producerCode], [consumerCode]] = await Promise.all([once(producer, 'exit'), once(consumer, 'exit')]);
clearInterval(live);
const final = progress;
const secs = (performance.now() - started) / 1000;
if (!values.quiet) process.stdout.write('\n');
const summary = {
  'frames written': produced?.written ?? 0,
  'frames read': final.read,
  'frames skipped (reader behind)': final.skipped ?? 0,
  'torn frames': final.torn,
  'write-lock wait p50 / p99 (ms)': `${percentile(produced?.waits ?? [], 50).toFixed(3)} / ${percentile(produced?.waits ?? [], 99).toFixed(3)}`,
  'read-lock wait p50 / p99 (ms)': `${percentile(readWaits, 50).toFixed(3)} / ${percentile(readWaits, 99).toFixed(3)}`,
  'capture-to-read latency p50 / p99 (ms)': `${percentile(final.latencies ?? [], 50)} / ${percentile(final.latencies ?? [], 99)}`,
  'consumer event-loop delay p99 / max (ms)': `${(final.loopP99 ?? 0).toFixed(1)} / ${(final.loopMax ?? 0).toFixed(1)}`,
  'frame size (bytes)': frameSize,
  workers: workers,
  seconds: secs.toFixed(1),
};
console.table(summary);
console.log(`RESULT ${JSON.stringify({ written: summary['frames written'], read: final.read, torn: final.torn })}`);

for (let i = 0; i < SLOTS; i++) RwLock.unlink(lockName(name, i));
memory.close();
SharedMemory.unlink(name);
const ok = producerCode === 0 && consumerCode === 0 && final.torn === 0 && final.read > 0 && final.type === 'done';
if (!ok) console.error(final.torn ? `FAILED: ${final.torn} torn frames` : 'FAILED: a process did not finish cleanly');
process.exit(ok ? 0 : 1);
