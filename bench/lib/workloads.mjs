// The seven workloads, driver side. Each takes a contender id (or 'floor', where the C floor has
// the workload) and returns one run's summary: plain numbers, so runs can be reduced to medians.
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RwLock, SharedMemory } from '../../dist/index.mjs';
import { busyCpuSeconds } from './cpu.mjs';
import { runFloor } from './floor.mjs';
import { WaitHistogram } from './histogram.mjs';
import { quantile, median } from './stats.mjs';

const agentPath = fileURLToPath(new URL('./agent.mjs', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => process.hrtime.bigint();

let workDir;
export function workDirectory() {
  workDir ??= mkdtempSync(join(tmpdir(), 'interlock-bench-'));
  return workDir;
}
const lockNames = [];
export function cleanup() {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = undefined; // a later measurement makes a new one
  for (const name of lockNames.splice(0)) RwLock.unlink(name);
}

// A fresh lock per measurement: an interlock name and a lock file for the file-based peers.
function freshTarget() {
  const id = randomBytes(5).toString('hex');
  lockNames.push(`bench-${id}`);
  return { name: `bench-${id}`, file: join(workDirectory(), `lock-${id}`) };
}

class Agent {
  static async start() {
    const child = fork(agentPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const agent = new Agent(child);
    await agent.event('ready');
    return agent;
  }

  constructor(child) {
    this.child = child;
    this.nextId = 1;
    this.waiting = new Map(); // id or event name -> resolver
    this.backlog = [];
    child.on('message', (msg) => this.#dispatch(msg));
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const { reject } of this.waiting.values()) reject(new Error(`agent exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  #dispatch(msg) {
    const key = msg.event ? `${msg.event}:${msg.id ?? ''}` : `reply:${msg.id}`;
    const waiter = this.waiting.get(key);
    if (!waiter) {
      this.backlog.push([key, msg]);
      return;
    }
    this.waiting.delete(key);
    if (msg.error) waiter.reject(new Error(msg.error));
    else waiter.resolve(msg);
  }

  #expect(key) {
    const queued = this.backlog.findIndex(([k]) => k === key);
    if (queued >= 0) {
      const [, msg] = this.backlog.splice(queued, 1)[0];
      return msg.error ? Promise.reject(new Error(msg.error)) : Promise.resolve(msg);
    }
    if (this.exited) return Promise.reject(new Error('agent exited'));
    return new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
  }

  event(name, id = '') {
    return this.#expect(`${name}:${id}`);
  }

  // Sends a command; resolves with its reply. For 'request', also returns the grant's promise.
  call(op, args = {}) {
    const id = this.nextId++;
    const reply = this.#expect(`reply:${id}`);
    const armed = op === 'request' || op === 'wakeArm';
    const granted = armed ? this.#expect(`granted:${id}`) : null;
    granted?.catch(() => {});
    this.child.send({ id, op, ...args });
    return armed ? reply.then(() => ({ granted })) : reply;
  }

  async open(contender, target) {
    await this.call('open', { contender, target });
    return this;
  }

  kill(signal = 'SIGKILL') {
    if (!this.exited) this.child.kill(signal);
  }

  async stop() {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.call('exit').catch(() => {});
    await Promise.race([exited, sleep(2000)]);
    this.kill();
  }
}

async function withAgents(count, contender, target, body) {
  const agents = await Promise.all(Array.from({ length: count }, () => Agent.start()));
  try {
    for (const agent of agents) await agent.open(contender, target);
    return await body(agents);
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
  }
}

// W1: one process, no contention. ns per acquire + release pair.
export async function w1(contender, { ms }) {
  if (contender === 'floor') return runFloor('w1', ms);
  return withAgents(1, contender, freshTarget(), async ([agent]) => {
    const out = {};
    for (const variant of ['write', 'read', 'tryWrite', 'tryRead']) {
      out[variant] = (await agent.call('w1', { variant, ms })).nsPerOp;
    }
    return out;
  });
}

function splitSummary(ops, seconds) {
  const total = ops.reduce((a, b) => a + b, 0);
  return {
    opsPerSec: total / seconds,
    minShare: total ? Math.min(...ops) / total : 0,
    total,
  };
}

// W2: `procs` processes take the write lock around a non-atomic read-modify-write of one counter.
export async function w2(contender, { ms, procs }) {
  if (contender === 'floor') {
    const r = runFloor('w2', procs, ms);
    const s = splitSummary(r.ops, r.seconds);
    return { ...s, lost: s.total - r.counter };
  }
  const counterName = `bench-counter-${randomBytes(5).toString('hex')}`;
  const counter = SharedMemory.open(counterName, { size: 4096, create: 'exclusive' });
  try {
    return await withAgents(procs, contender, freshTarget(), async (agents) => {
      const startAt = now() + 300_000_000n;
      const until = startAt + BigInt(ms) * 1_000_000n;
      const results = await Promise.all(
        agents.map((a) =>
          a.call('loop', { kind: 'write', startAt: String(startAt), until: String(until), counter: counterName }),
        ),
      );
      const ops = results.map((r) => r.ops);
      const s = splitSummary(ops, ms / 1000);
      const value = new Float64Array(counter.buffer.buffer, counter.buffer.byteOffset, 1)[0];
      return { ...s, lost: s.total - value };
    });
  } finally {
    counter.close();
    SharedMemory.unlink(counterName);
  }
}

// W2-real: `procs` processes take the write lock in `form` ('wait' or 'tryFirst') around real work on
// one file they share (agent.mjs, realContention; the floor's is the same in C). Lost updates =
// operations counted minus the file's counter; smallest share = the least busy process's operations
// / its fair share (total / procs); waits merged over every acquisition of every process. ops/s over
// the time from the shared start to the last process's finish (an operation started before the
// deadline is counted whole). busyElsewhereCores: CPU used by anything else on the machine meanwhile
// (other processes, a hypervisor's steal), which on a shared machine decides whether the processes
// overlap at all.
export async function w2r(contender, { ms, procs, form }) {
  const file = join(workDirectory(), `w2r-${randomBytes(5).toString('hex')}.bin`);
  writeFileSync(file, Buffer.alloc(24));
  const summary = ({ ops, seconds, waits, ...rest }) => {
    const total = ops.reduce((a, b) => a + b, 0);
    const data = readFileSync(file);
    const counter = data.readUInt32LE(0) + data.readUInt32LE(4) * 2 ** 32;
    const merged = WaitHistogram.merge(waits);
    return {
      opsPerSec: total / seconds,
      lost: total - counter,
      minFairShare: total ? Math.min(...ops) / (total / procs) : 0,
      waitP50Us: merged.quantile(0.5) / 1000,
      waitP99Us: merged.quantile(0.99) / 1000,
      waitMaxUs: merged.max / 1000,
      total,
      ...rest,
      ops,
    };
  };
  try {
    if (contender === 'floor') {
      const r = runFloor('w2r', procs, ms, form, file);
      return summary({ ops: r.ops, seconds: r.seconds, waits: [r.waits] });
    }
    return await withAgents(procs, contender, freshTarget(), async (agents) => {
      const startAt = now() + BigInt(300 + 40 * procs) * 1_000_000n;
      const until = startAt + BigInt(ms) * 1_000_000n;
      let busyAtStart;
      const sampling = sleep(Number(startAt - now()) / 1e6).then(() => (busyAtStart = [now(), busyCpuSeconds()]));
      const results = await Promise.all(
        agents.map((a, index) => a.call('w2r', { form, index, file, startAt: String(startAt), until: String(until) })),
      );
      await sampling;
      // CPU the machine spent on anything but these agents over the window, in cores.
      const [sampledAt, busyBefore] = busyAtStart;
      const ours = results.reduce((sum, r) => sum + r.cpuSeconds, 0);
      const busyElsewhereCores = Math.max(
        0,
        (busyCpuSeconds() - busyBefore - ours) / (Number(now() - sampledAt) / 1e9),
      );
      const finished = results.reduce((last, r) => (BigInt(r.finished) > last ? BigInt(r.finished) : last), 0n);
      const startedLateMs = Math.max(...results.map((r) => r.startedLateMs));
      if (startedLateMs > 20) {
        console.error(`! W2R ${contender} ${form}: a process started ${startedLateMs.toFixed(1)} ms after the others`);
      }
      return summary({
        ops: results.map((r) => r.ops),
        seconds: Number(finished - startAt) / 1e9,
        waits: results.map((r) => r.waits),
        startedLateMs,
        busyElsewhereCores,
      });
    });
  } finally {
    rmSync(file, { force: true });
  }
}

// W3: handoff. A holds; B requests and is given 3 ms to be parked; A stamps and releases; B stamps
// when granted. Latency = grant stamp - release stamp.
// 'node-wake' is no lock: the same two agents, B's event loop woken by a byte on a FIFO.
export async function w3(contender, { iterations }) {
  let latencies;
  if (contender === 'floor') {
    latencies = runFloor('w3', iterations).latencies_ns.map((ns) => ns / 1000);
  } else if (contender === 'node-wake') {
    const fifo = join(workDirectory(), `wake-${randomBytes(5).toString('hex')}`);
    execFileSync('mkfifo', [fifo]);
    const agents = await Promise.all([Agent.start(), Agent.start()]);
    const [a, b] = agents;
    try {
      latencies = [];
      for (let i = 0; i < iterations; i++) {
        const { granted } = await b.call('wakeArm', { fifo });
        await sleep(3);
        const { t0 } = await a.call('wakeSend', { fifo, quietMs: 2 });
        const { t1 } = await granted;
        latencies.push(Number(BigInt(t1) - BigInt(t0)) / 1000);
      }
    } finally {
      await Promise.all(agents.map((x) => x.stop()));
    }
  } else {
    latencies = await withAgents(2, contender, freshTarget(), async ([a, b]) => {
      const out = [];
      for (let i = 0; i < iterations; i++) {
        await a.call('hold');
        const { granted } = await b.call('request');
        await sleep(3);
        const { t0 } = await a.call('release', { quietMs: 2 });
        const { t1 } = await granted;
        out.push(Number(BigInt(t1) - BigInt(t0)) / 1000);
        await b.call('release');
      }
      return out;
    });
  }
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), samples: latencies.length };
}

// Context switches of each thread of a process so far (Linux /proc), by thread id. A thread that
// was woken and went back to sleep has one more voluntary switch; a thread nobody woke has none.
function contextSwitches(pid) {
  const byThread = new Map();
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byThread;
  }
  for (const tid of tasks) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      let total = 0;
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total += Number(m[1]);
      byThread.set(tid, total);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byThread;
}

// Whether a process ran between two snapshots: a thread switched, started or ended.
function ran(before, after) {
  if (before.size !== after.size) return true;
  for (const [tid, n] of after) if (before.get(tid) !== n) return true;
  return false;
}

// W3 with many waiters: `waiters` processes wait for the write lock, the holder releases, one of
// them is granted. Latency: release stamp to the grant stamp. Woken: how many of the waiting
// processes ran at all (any thread context-switched) between the release and `windowMs` after it;
// 1 is the winner alone, `waiters` is a thundering herd. Then the old holder asks again (to the
// back of the line) and the winner holds for the next handoff. Two grants at once throw.
export async function w3many(contender, { iterations, waiters, windowMs = 3 }) {
  return withAgents(waiters + 1, contender, freshTarget(), async (agents) => {
    let holder = agents[0];
    await holder.call('hold');
    const pending = new Map(); // waiting agent -> { granted, done }
    const ask = async (agent) => {
      const { granted } = await agent.call('request');
      const entry = { granted, done: false };
      granted.then(() => (entry.done = true)).catch(() => {});
      pending.set(agent, entry);
    };
    for (const agent of agents.slice(1)) {
      await ask(agent);
      await sleep(1);
    }
    const latencies = [];
    const woken = [];
    for (let i = 0; i < iterations; i++) {
      await sleep(4); // every waiter parked, past any timer of its own that its request started
      const waiting = [...pending.keys()];
      const before = waiting.map((a) => contextSwitches(a.child.pid));
      const { t0 } = await holder.call('release', { quietMs: windowMs });
      const winner = await Promise.race(waiting.map((a) => pending.get(a).granted.then((g) => ({ a, g }))));
      const after = waiting.map((a) => contextSwitches(a.child.pid));
      const granted = waiting.filter((a) => pending.get(a).done);
      if (granted.length !== 1) throw new Error(`W3/${waiters} ${contender}: ${granted.length} grants for one release`);
      latencies.push(Number(BigInt(winner.g.t1) - BigInt(t0)) / 1000);
      woken.push(after.filter((snapshot, k) => ran(before[k], snapshot)).length);
      pending.delete(winner.a);
      await ask(holder);
      holder = winner.a;
    }
    await holder.call('release');
    return {
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      wokenMean: woken.reduce((x, y) => x + y, 0) / woken.length,
      wokenP50: quantile(woken, 0.5),
      samples: latencies.length,
    };
  });
}

// W4: the event loop's delay in a process that waits `holdMs` for a lock another process holds.
export async function w4(contender, { holdMs }) {
  return withAgents(2, contender, freshTarget(), async ([a, b]) => {
    await a.call('hold');
    const measured = b.call('w4');
    await sleep(holdMs);
    await a.call('release');
    const r = await measured;
    return { maxMs: r.maxMs, p99Ms: r.p99Ms, waitedMs: r.waitedMs };
  });
}

// W5: fs.promises.readFile latency in a process where `waiters` lock requests wait for a lock held
// elsewhere for `holdMs`. A read not done 3 s after the hold ended counts as blocked.
export async function w5(contender, { waiters, holdMs }) {
  const file = join(workDirectory(), 'w5-read.bin');
  writeFileSync(file, randomBytes(4096));
  const graceMs = 3000;
  const target = freshTarget();
  const a = await (await Agent.start()).open(contender, target);
  const b = await (await Agent.start()).open(contender, target);
  try {
    await a.call('hold');
    const measured = b.call('w5', { waiters, holdMs, graceMs, file });
    await sleep(holdMs + 120);
    await a.call('release');
    const r = await measured;
    return {
      p50Ms: r.blocked && r.latencies.length === 0 ? Infinity : median(r.latencies),
      maxMs: r.blocked ? Infinity : Math.max(...r.latencies),
      reads: r.latencies.length,
      blocked: r.blocked,
    };
  } finally {
    await a.stop();
    b.kill(); // its waiters may be stuck for good (a threadpool full of blocked lock calls)
  }
}

// W6: `readers` processes take the read lock in a loop; aggregate acquisitions per second.
export async function w6(contender, { ms, readers }) {
  if (contender === 'floor') {
    const r = runFloor('w6', readers, ms);
    return { opsPerSec: r.ops.reduce((a, b) => a + b, 0) / r.seconds };
  }
  return withAgents(readers, contender, freshTarget(), async (agents) => {
    const startAt = now() + BigInt(300 + 40 * readers) * 1_000_000n;
    const until = startAt + BigInt(ms) * 1_000_000n;
    const results = await Promise.all(
      agents.map((a) => a.call('loop', { kind: 'read', startAt: String(startAt), until: String(until) })),
    );
    return { opsPerSec: results.reduce((s, r) => s + r.ops, 0) / (ms / 1000) };
  });
}

// W7: SIGKILL the write holder while another process waits; time from the kill to the grant.
export async function w7(contender, { kills, timeoutMs = 20_000 }) {
  const target = freshTarget();
  const waiter = await (await Agent.start()).open(contender, target);
  const times = [];
  try {
    for (let i = 0; i < kills; i++) {
      const holder = await (await Agent.start()).open(contender, target);
      await holder.call('hold');
      const { granted } = await waiter.call('request');
      await sleep(30);
      const t0 = now();
      holder.kill('SIGKILL');
      const result = await Promise.race([granted, sleep(timeoutMs).then(() => null)]);
      if (!result) {
        times.push(Infinity);
        break;
      }
      times.push(Number(BigInt(result.t1) - t0) / 1e6);
      await waiter.call('release');
    }
  } finally {
    await waiter.stop();
  }
  return { p50Ms: median(times), maxMs: Math.max(...times), kills: times.length };
}
