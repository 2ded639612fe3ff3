// A benchmark process. bench/run.mjs forks one or more of these per measurement and drives them
// over IPC; every timing that goes into a result is taken here, inside the measured process, with
// process.hrtime.bigint() (CLOCK_MONOTONIC, so stamps from two processes can be subtracted).
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SharedMemory } from '../../dist/index.js';
import { contender, writeAcquirer } from './contenders.mjs';
import { WaitHistogram } from './histogram.mjs';

const now = () => process.hrtime.bigint();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let adapter;
let target;
let handle;
let held = null; // what this agent holds for the driver
let wakeReader = null;
let wakeWriter = null;
let wakeArmed = null;

const isPromise = (x) => x !== null && typeof x === 'object' && typeof x.then === 'function';
async function settle(result) {
  if (isPromise(result)) await result;
}

// W1: acquire + release in a loop for `ms`; ns per pair over the whole run. Where the library's
// call and its release are synchronous (try variants of interlock and fs-native-extensions) the
// loop is synchronous too; otherwise each is awaited. No harness wrapper either way.
async function uncontended(variant, ms) {
  const acquire = handle[variant];
  const probe = acquire();
  const asyncAcquire = isPromise(probe);
  const first = asyncAcquire ? await probe : probe;
  if (!first) throw new Error(`${variant} found the lock taken in an uncontended run`);
  const asyncRelease = isPromise(first.release());
  const once =
    asyncAcquire || asyncRelease
      ? async () => {
          const got = await acquire();
          if (!got) throw new Error(`${variant} found the lock taken in an uncontended run`);
          await got.release();
        }
      : null;
  const syncBatch = (n) => {
    for (let i = 0; i < n; i++) {
      const got = acquire();
      if (!got) throw new Error(`${variant} found the lock taken in an uncontended run`);
      got.release();
    }
  };
  const run = async (n) => {
    if (!once) return syncBatch(n);
    for (let i = 0; i < n; i++) await once();
  };
  await run(200); // warm up (JIT, first-use costs) before the clock starts
  const deadline = now() + BigInt(ms) * 1_000_000n;
  const start = now();
  let ops = 0;
  let batch = 1;
  let end;
  do {
    await run(batch);
    ops += batch;
    end = now();
    if (batch < 65536 && Number(end - start) < ms * 1e5) batch *= 2; // until ~1/10 of the time
  } while (end < deadline);
  return { ops, nsPerOp: Number(end - start) / ops };
}

// W2 / W6: loop until a deadline shared by all agents.
async function loop(kind, startAt, until, counterName) {
  const counter = counterName ? SharedMemory.open(counterName) : null;
  const view = counter ? new Float64Array(counter.buffer.buffer, counter.buffer.byteOffset, 1) : null;
  const acquire = kind === 'write' ? handle.write : handle.read;
  while (now() < startAt) await sleep(0);
  let ops = 0;
  while (now() < until) {
    const got = await acquire();
    if (view) {
      const value = view[0]; // read, then write: an unguarded interleaving loses an update
      view[0] = value + 1;
    }
    await settle(got.release());
    ops++;
  }
  counter?.close();
  return { ops };
}

// W2-real: the write lock around real work on a file shared by every agent (opened once, fd kept):
// read 16 bytes at offset 0, then three 8-byte writes (pread / pwrite). Offset 0 holds a counter,
// a 64-bit little-endian integer, read, incremented and written back, so an unguarded interleaving
// loses an update; 8 holds the last writer's index, 16 its own operation count. `form` is 'wait' or
// 'tryFirst' (see contenders.mjs). Every acquisition's wait, from asking for the lock to holding it,
// goes into a histogram; the clock is performance.now() (the same monotonic clock as hrtime, no
// BigInt per stamp). Runs until a deadline shared by all agents, then reports when it finished.
async function realContention(form, index, startAt, until, file) {
  const fd = openSync(file, 'r+');
  const acquire = writeAcquirer(handle, form);
  const current = Buffer.alloc(16);
  const counter = Buffer.alloc(8);
  const writer = Buffer.alloc(8);
  const mine = Buffer.alloc(8);
  writer.writeUInt32LE(index, 0);
  writer.writeUInt32LE(process.pid, 4);
  const waits = new WaitHistogram();
  while (now() < startAt) await sleep(0);
  const startedLateMs = Number(now() - startAt) / 1e6;
  const cpu = process.cpuUsage();
  const deadline = performance.now() + Number(until - now()) / 1e6;
  let ops = 0;
  for (;;) {
    const asked = performance.now();
    if (asked >= deadline) break;
    let got = acquire();
    if (isPromise(got)) got = await got;
    waits.record((performance.now() - asked) * 1e6);
    readSync(fd, current, 0, 16, 0);
    const value = current.readUInt32LE(0) + current.readUInt32LE(4) * 2 ** 32 + 1;
    counter.writeUInt32LE(value >>> 0, 0);
    counter.writeUInt32LE(Math.floor(value / 2 ** 32), 4);
    mine.writeDoubleLE(ops + 1, 0);
    writeSync(fd, counter, 0, 8, 0);
    writeSync(fd, writer, 0, 8, 8);
    writeSync(fd, mine, 0, 8, 16);
    const released = got.release();
    if (isPromise(released)) await released;
    ops++;
  }
  const finished = now();
  const { user, system } = process.cpuUsage(cpu);
  closeSync(fd);
  return { ops, finished: String(finished), startedLateMs, cpuSeconds: (user + system) / 1e6, waits: waits.toJSON() };
}

// W4: the event loop's delay while this process waits for a lock held elsewhere.
async function loopDelayWhileWaiting() {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const start = now();
  const got = await handle.write();
  const waited = Number(now() - start) / 1e6;
  histogram.disable();
  await settle(got.release());
  return {
    waitedMs: waited,
    maxMs: histogram.max / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    p50Ms: histogram.percentile(50) / 1e6,
  };
}

// W5: `waiters` lock requests wait (each on its own handle, as separate callers would), then
// fs.promises.readFile runs back to back until `holdMs` is over; latencies of those reads.
// A read still unfinished `graceMs` after the hold ended counts as blocked.
async function readFileWhileWaiting(waiters, holdMs, graceMs, file) {
  const handles = [];
  for (let i = 0; i < waiters; i++) handles.push(await adapter.open(target));
  const pending = handles.map(async (h) => {
    const got = await h.write();
    await settle(got.release());
  });
  pending.forEach((p) => p.catch(() => {}));
  await sleep(20); // let the requests reach the OS / threadpool / waiter thread
  const start = now();
  const holdEnd = start + BigInt(holdMs) * 1_000_000n;
  const latencies = [];
  let blocked = 0;
  while (now() < holdEnd) {
    const t0 = now();
    const done = readFile(file).then(() => Number(now() - t0) / 1e6);
    const remaining = Number(holdEnd - t0) / 1e6 + graceMs;
    const result = await Promise.race([done, sleep(remaining).then(() => null)]);
    if (result === null) {
      blocked++;
      break;
    }
    latencies.push(result);
  }
  return { latencies, blocked };
}

const handlers = {
  async open(msg) {
    adapter = contender(msg.contender);
    target = msg.target;
    handle = await adapter.open(target);
    return {};
  },
  async w1(msg) {
    return uncontended(msg.variant, msg.ms);
  },
  async hold(msg) {
    held = await handle[msg.mode ?? 'write']();
    return {};
  },
  // `quietMs`: stay idle that long before answering, so the driver's reply does not compete for
  // the CPU with the handoff being measured.
  async release(msg) {
    const got = held;
    held = null;
    const t0 = now();
    await settle(got.release());
    if (msg.quietMs) await sleep(msg.quietMs);
    return { t0: String(t0) };
  },
  // Answers at once, then reports the grant in a second message.
  async request(msg) {
    const t = now();
    handle[msg.mode ?? 'write']().then(
      (got) => {
        const t1 = now();
        held = got;
        process.send({ id: msg.id, event: 'granted', t1: String(t1), requested: String(t) });
      },
      (err) => process.send({ id: msg.id, event: 'error', error: String(err?.stack ?? err) }),
    );
    return {};
  },
  // The Node wake baseline of W3, no lock at all: B's event loop waits for a byte on a FIFO, A
  // stamps and writes it. What waking an idle event loop in another process costs by itself.
  async wakeArm(msg) {
    if (!wakeReader) {
      const fd = openSync(msg.fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      wakeReader = new Socket({ fd, readable: true, writable: false });
      wakeReader.on('data', () => {
        const t1 = now();
        const id = wakeArmed;
        wakeArmed = null;
        if (id !== null) process.send({ id, event: 'granted', t1: String(t1) });
      });
    }
    wakeArmed = msg.id;
    return {};
  },
  async wakeSend(msg) {
    wakeWriter ??= openSync(msg.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const t0 = now();
    writeSync(wakeWriter, 'x');
    if (msg.quietMs) await sleep(msg.quietMs);
    return { t0: String(t0) };
  },
  async loop(msg) {
    return loop(msg.kind, BigInt(msg.startAt), BigInt(msg.until), msg.counter);
  },
  async w2r(msg) {
    return realContention(msg.form, msg.index, BigInt(msg.startAt), BigInt(msg.until), msg.file);
  },
  async w4() {
    return loopDelayWhileWaiting();
  },
  async w5(msg) {
    return readFileWhileWaiting(msg.waiters, msg.holdMs, msg.graceMs, msg.file);
  },
  async exit() {
    handle?.close();
    wakeReader?.destroy();
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async (msg) => {
  try {
    const result = await handlers[msg.op](msg);
    process.send({ id: msg.id, ...result });
  } catch (err) {
    process.send({ id: msg.id, error: String(err?.stack ?? err) });
  }
});
process.send({ event: 'ready', pid: process.pid });
