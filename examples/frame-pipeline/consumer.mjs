// The consumer process: a Piscina pool of workers reads the newest frames under read locks and
// analyses them. It reports progress to the parent while it runs. argv: name frameSize workers
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { SharedMemory } from 'interlocked';
import { SLOTS, control, memoryBytes } from './frames.mjs';

const [name, sizeText, workersText] = process.argv.slice(2);
const frameSize = Number(sizeText);
const workers = Number(workersText);
const memory = SharedMemory.open(name, { size: memoryBytes(frameSize) });
const ctl = control(memory.buffer);
const pool = new Piscina({
  filename: new URL('./reader-task.mjs', import.meta.url).href,
  minThreads: workers,
  maxThreads: workers,
});
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

let dispatched = 0;
let read = 0;
let torn = 0;
let skipped = 0;
const waits = [];
const latencies = [];
const inFlight = new Set();
Atomics.add(ctl, 2, 1);

let next = 1;
while (true) {
  const latest = Atomics.load(ctl, 0);
  const done = Atomics.load(ctl, 1) === 1;
  // Keep up with the newest frames: anything older than the ring is gone, count it as skipped.
  if (latest - next >= SLOTS) {
    skipped += latest - SLOTS + 1 - next;
    next = latest - SLOTS + 1;
  }
  while (next <= latest && inFlight.size < workers * 2) {
    const seq = next++;
    dispatched++;
    const task = pool.run({ name, frameSize, slot: seq % SLOTS }).then((r) => {
      inFlight.delete(task);
      read++;
      if (r.torn) torn++;
      waits.push(r.waited);
      latencies.push(r.latency);
    });
    inFlight.add(task);
  }
  if (done && next > latest) break;
  process.send?.({ type: 'progress', read, torn, waits: waits.splice(0), loopP99: loop.percentile(99) / 1e6 });
  await sleep(5);
}
await Promise.all(inFlight);
loop.disable();
process.send?.({
  type: 'done',
  read,
  torn,
  skipped,
  waits: waits.splice(0),
  latencies,
  loopP99: loop.percentile(99) / 1e6,
  loopMax: loop.max / 1e6,
});
await pool.destroy();
memory.close();
