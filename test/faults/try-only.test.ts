// A process that only ever tries (tryRead/tryWrite, timeout: 0, LockManager ifAvailable) has no
// waiter thread whose slices would recover a dead holder: its failed tries must do it, promptly,
// and cost no system call while the holder is alive.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockManager, RwLock, type LockGuard } from 'interlocked';
import { Agent } from '../helpers/agent.js';
import { isWindows, sleep, uniqueName, unlinkAll, unlinkPrefix } from '../helpers/names.js';

type Try = (lock: RwLock, manager: LockManager, name: string) => Promise<LockGuard | true | null>;

const tries: Record<string, Try> = {
  tryWrite: async (lock) => lock.tryWrite(),
  tryRead: async (lock) => lock.tryRead(),
  'write({ timeout: 0 })': (lock) => lock.write({ timeout: 0 }).catch(() => null),
  'read({ timeout: 0 })': (lock) => lock.read({ timeout: 0 }).catch(() => null),
  'LockManager ifAvailable': (_lock, manager, name) =>
    manager.request(name, { ifAvailable: true }, (l) => (l === null ? null : true)),
};

/** Polls `attempt` every 5 ms until it succeeds; the ms it took, or Infinity after `limit` ms. */
async function pollUntil(attempt: () => Promise<LockGuard | true | null>, limit = 3000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < limit) {
    const got = await attempt();
    if (got !== null) {
      if (got !== true) got.release();
      return performance.now() - started;
    }
    await sleep(5);
  }
  return Infinity;
}

interface Death {
  victim: Agent;
  others: Agent[];
  after?: () => Promise<unknown>; // what the live processes do once the victim is dead
}

// How the dead process held things up: each leaves a different trace in the lock.
const deaths: Record<string, (name: string, lock: RwLock) => Promise<Death>> = {
  // The writer field names a dead process, active.
  'a write holder': async (name: string) => {
    const victim = await Agent.start();
    await victim.call('acquire', { lock: name, mode: 'write', key: 'w' });
    return { victim, others: [] };
  },
  // The writer field names a dead process that was still draining a reader (not active yet).
  'a writer draining readers': async (name: string, lock: RwLock) => {
    const reader = await Agent.start();
    await reader.call('acquire', { lock: name, mode: 'read', key: 'r' });
    const victim = await Agent.start();
    void victim.call('acquire', { lock: name, mode: 'write', key: 'w' }).catch(() => {});
    while (lock.inspect().waiting.writers === 0) await sleep(5);
    return { victim, others: [reader], after: () => reader.call('release', { key: 'r' }) };
  },
  // A dead parked writer: its waiting flag and the writers-waiting bit stay behind a live holder
  // that then leaves.
  'a parked writer': async (name: string, lock: RwLock) => {
    const holder = await Agent.start();
    await holder.call('acquire', { lock: name, mode: 'write', key: 'h' });
    const victim = await Agent.start();
    void victim.call('acquire', { lock: name, mode: 'write', key: 'w' }).catch(() => {});
    while (lock.inspect().waiting.writers === 0) await sleep(5);
    return { victim, others: [holder], after: () => holder.call('release', { key: 'h' }) };
  },
  // A dead reader's bit: only a write is turned away.
  'a reader': async (name: string) => {
    const victim = await Agent.start();
    await victim.call('acquire', { lock: name, mode: 'read', key: 'r' });
    return { victim, others: [] };
  },
};

for (const [death, setUp] of Object.entries(deaths)) {
  for (const [how, attempt] of Object.entries(tries)) {
    if (death === 'a reader' && /read|tryRead/i.test(how)) continue; // a dead reader blocks no reader
    test(`after ${death} is SIGKILLed, a try-only process gets the lock by ${how}`, async (t) => {
      const prefix = `${uniqueName('tryonly')}.`;
      const manager = new LockManager({ prefix });
      const name = manager.lockName('x');
      t.teardown(() => unlinkPrefix(prefix));
      // Opened before the death: joining would recover at once, and hide what tries alone do.
      const lock = RwLock.open(name);
      t.teardown(() => lock.close());
      const first = await attempt(lock, manager, 'x'); // opens the manager's handle too
      if (first !== null && first !== true) first.release();
      const { victim, others, after } = await setUp(name, lock);
      t.teardown(() => Promise.all([victim.stop(), ...others.map((a) => a.stop())]));
      t.is(await attempt(lock, manager, 'x'), null, 'while the lock is busy, the try fails');
      await victim.kill('SIGKILL');
      await after?.();
      const ms = await pollUntil(() => attempt(lock, manager, 'x'));
      t.log(`granted by ${how} ${ms.toFixed(1)} ms after ${death} died`);
      t.true(ms < 1000, `a try-only process recovered ${death} (${ms} ms)`);
      t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
    });
  }
}

test('a blocking write that goes past a dead writer’s waiting bit leaves the lock clean for tries', async (t) => {
  const name = uniqueName('pastbit');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const tryer = await Agent.start(); // opens the lock now, before the death
  t.teardown(() => tryer.stop());
  t.deepEqual(await tryer.call('tryAcquire', { lock: name, mode: 'read', key: 'x' }), { granted: true });
  await tryer.call('release', { key: 'x' });
  const holder = await Agent.start();
  const victim = await Agent.start();
  t.teardown(() => Promise.all([holder.stop(), victim.stop()]));
  await holder.call('acquire', { lock: name, mode: 'write', key: 'h' });
  void victim.call('acquire', { lock: name, mode: 'write', key: 'w' }).catch(() => {});
  while (lock.inspect().waiting.writers === 0) await sleep(5);
  await victim.kill('SIGKILL');
  const writing = lock.write({ timeout: 3000 });
  await holder.call('release', { key: 'h' });
  const guard = await writing;
  guard.release();
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
  t.deepEqual(
    await tryer.call('tryAcquire', { lock: name, mode: 'read', key: 'y' }),
    { granted: true },
    'the first try of a try-only process after the write succeeds',
  );
});

// strace counts what the tries cost: Linux only.
(isWindows || spawnSync('strace', ['-V']).status !== 0 ? test.skip : test)(
  'failed tries against a live holder make (almost) no system calls',
  async (t) => {
    const name = uniqueName('trycost');
    t.teardown(() => unlinkAll(name));
    const holder = await Agent.start();
    t.teardown(() => holder.stop());
    await holder.call('acquire', { lock: name, mode: 'write', key: 'h' });
    const out = join(tmpdir(), `${name}.strace`);
    const count = (tries: number) => {
      const code = `
        import { RwLock } from 'interlocked';
        const lock = RwLock.open(${JSON.stringify(name)});
        const started = performance.now();
        for (let i = 0; i < ${tries}; i++) if (lock.tryWrite() !== null || lock.tryRead() !== null) process.exit(3);
        console.log(performance.now() - started);`;
      const r = spawnSync(
        'strace',
        ['-f', '-e', 'trace=fcntl,kill,openat,read', '-o', out, process.execPath, '--input-type=module', '-e', code],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      t.is(r.status, 0, r.stderr);
      const ms = Number(r.stdout.trim());
      const calls = readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => /F_OFD_GETLK|kill\(|\/proc\/\d+\/stat/.test(l)).length;
      return { ms, calls };
    };
    const none = count(0);
    const many = count(100_000);
    const extra = many.calls - none.calls;
    // One liveness check (an OFD lock query) per 10 ms of failing at most, whatever the rate of tries.
    const allowed = Math.ceil(many.ms / 10) + 5;
    t.log(
      `200000 failed tries in ${many.ms.toFixed(0)} ms (under strace): ${extra} liveness system calls (allowed ${allowed})`,
    );
    t.true(extra <= allowed, `${extra} liveness checks for 200000 failed tries over ${many.ms} ms`);
  },
);
