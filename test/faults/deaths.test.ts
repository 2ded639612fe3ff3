// Processes killed while holding, waiting or exiting, pid reuse, and the time recovery takes.
import test from 'ava';
import { fork, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { openSync, writeSync, closeSync } from 'node:fs';
import { RwLock } from 'interlocked';
import { Agent, fixturePath } from '../helpers/agent.js';
import { backingFile, isWindows, sleep, uniqueName, unlinkAll } from '../helpers/names.js';
import { percentile } from './helpers.js';

// Offsets in a lock segment (src/native/core/lock_layout.h).
const STATE = 64;
const SLOTS = 256;
const SLOT_SIZE = 64;
const ACTIVE = 1 << 12;

test('a process killed while parked leaves nothing that stalls others', async (t) => {
  const name = uniqueName('deadwaiter');
  t.teardown(() => unlinkAll(name));
  const holder = await Agent.start();
  const waiter = await Agent.start();
  t.teardown(() => Promise.all([holder.stop(), waiter.stop()]));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  await holder.call('acquire', { lock: name, mode: 'write', key: 'h' });
  void waiter.call('acquire', { lock: name, mode: 'write', key: 'w' }).catch(() => {});
  while (lock.inspect().waiting.writers === 0) await sleep(5);
  const reading = lock.read({ timeout: 3000 });
  await waiter.kill('SIGKILL');
  await holder.call('release', { key: 'h' });
  const started = performance.now();
  const guard = await reading;
  const ms = performance.now() - started;
  t.log(`reader granted ${ms.toFixed(1)} ms after the holder left`);
  t.true(ms < 100, 'the dead waiter did not hold readers back for a wait slice');
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
  guard.release();
});

for (const how of ['return', 'throw', 'exit'] as const) {
  test(`a process that ends with a held guard (${how}) lets others in promptly`, async (t) => {
    const name = uniqueName(`exit-${how}`);
    t.teardown(() => unlinkAll(name));
    const child = fork(fixturePath('exit-holding'), [name, how], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await once(child, 'message');
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const pending = lock.write({ timeout: 3000 });
    const [code] = (await once(child, 'exit')) as [number | null];
    const exited = performance.now();
    const guard = await pending;
    const ms = performance.now() - exited;
    t.log(`exit code ${code}; granted ${ms.toFixed(1)} ms after the exit`);
    t.true(ms < 100, `granted ${ms} ms after the exit`);
    guard.release();
  });
}

// Forges the slot table through the lock's backing file: Linux only.
(isWindows ? test.skip : test)(
  'pid reuse: a slot whose pid now belongs to another live process counts as dead',
  async (t) => {
    const name = uniqueName('pidreuse');
    t.teardown(() => unlinkAll(name));
    const stranger = await Agent.start(); // a live process that never opened this lock
    t.teardown(() => stranger.stop());
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    // Forge slot 5: owned by the stranger's pid with another start-time fingerprint, holding the
    // write lock from inside (as if the pid's previous owner died there and the pid was reused).
    const fd = openSync(backingFile('lock', name), 'r+');
    const owner = Buffer.alloc(8);
    owner.writeUInt32LE(stranger.pid, 0);
    owner.writeUInt32LE(0x0badf00d, 4);
    writeSync(fd, owner, 0, 8, SLOTS + 5 * SLOT_SIZE);
    const state = Buffer.alloc(4);
    state.writeUInt32LE(6 | ACTIVE, 0);
    writeSync(fd, state, 0, 4, STATE);
    closeSync(fd);
    t.is(lock.inspect().writer?.pid, stranger.pid);
    t.false(lock.inspect().writer?.alive);
    const started = performance.now();
    const guard = await lock.write({ timeout: 2000 });
    t.log(`recovered in ${(performance.now() - started).toFixed(1)} ms`);
    t.true(guard.abandoned);
    guard.release();
    t.is(lock.inspect().processes, 1, 'the forged slot was freed');
    await stranger.call('inspect', { lock: `${name}-other` }); // the stranger is untouched
  },
);

// 50 kills on Linux; 10 under Wine, where starting each victim takes about a second.
const kills = isWindows ? 10 : 50;

test(`recovery time after SIGKILL of the write holder (${kills} kills): p50 under 100 ms`, async (t) => {
  const name = uniqueName('recoverytime');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const times: number[] = [];
  let next = Agent.start();
  for (let i = 0; i < kills; i++) {
    const agent = await next;
    next = Agent.start(); // the next victim boots while this one is measured
    await agent.call('acquire', { lock: name, mode: 'write', key: 'w' });
    const pending = lock.write({ timeout: 5000 });
    const killed = process.hrtime.bigint();
    agent.child.kill('SIGKILL');
    const guard = await pending;
    times.push(Number(process.hrtime.bigint() - killed) / 1e6);
    t.true(guard.abandoned);
    guard.markConsistent();
    guard.release();
    await agent.exited;
  }
  await (await next).stop();
  const sorted = [...times].sort((a, b) => a - b);
  const summary = `recovery after SIGKILL of the writer, ${kills} kills: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
  t.log(summary);
  t.true(percentile(sorted, 50) < 100);
  t.true(sorted.at(-1)! < 1000, 'never more than a few wait slices');
});

test('a holder in another pid namespace is neither mistaken for dead nor for someone else', async (t) => {
  // Its pid means nothing here (it is 1 in its namespace): liveness must come from the kernel's
  // hold on its slot, not from the pid.
  const name = uniqueName('pidns');
  t.teardown(() => unlinkAll(name));
  const probe = spawnSync('unshare', ['--pid', '--fork', 'true']);
  if (probe.status !== 0) {
    t.log('skipped: needs Linux pid namespaces (unshare --pid, CAP_SYS_ADMIN), not available in this run');
    t.pass();
    return;
  }
  const child = spawn(
    'unshare',
    ['--pid', '--fork', '--kill-child', process.execPath, fixturePath('hold-forever'), name, 'write'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  t.teardown(() => child.kill('SIGKILL'));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  t.regex(line.toString(), /^held 1\b/, 'the holder runs as pid 1 of its own namespace');
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  t.true(lock.inspect().writer?.alive, 'alive, whatever pid 1 is here');
  await t.throwsAsync(lock.write({ timeout: 400 }), { code: 'ERR_LOCK_TIMEOUT' }, 'not taken from a live holder');
  child.kill('SIGKILL'); // unshare dies; --kill-child takes the namespace's pid 1 with it
  await once(child, 'close');
  const guard = await lock.write({ timeout: 2000 });
  t.true(guard.abandoned, 'recovered once it really died');
  guard.release();
});
