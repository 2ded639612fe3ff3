// What observers see: the interlocked:acquire tracing channel (start, end, asyncStart, asyncEnd,
// error) for RwLock and LockManager acquisitions, interlocked:release, interlocked:recover for a
// dead process's holds (also when another thread of the process did the recovering), and
// NODE_DEBUG=interlocked. Serial: channels are process-wide, and each test filters by its names.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { channel, tracingChannel } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import {
  LockManager,
  RwLock,
  type AcquireContext,
  type LockTimeoutError,
  type RecoverMessage,
  type ReleaseMessage,
} from 'interlocked';
import { Agent } from './helpers/agent.js';
import { sleep, uniqueName, unlinkAll, unlinkPrefix } from './helpers/names.js';

type Event = { event: string; context: AcquireContext };
const kinds = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;

/** Records the acquire channel's events for `names` until the test ends. */
function recordAcquires(t: ExecutionContext, names: string[]): Event[] {
  const events: Event[] = [];
  const trace = tracingChannel<unknown, AcquireContext>('interlocked:acquire');
  const handlers = Object.fromEntries(
    kinds.map((event) => [
      event,
      (context: AcquireContext) => {
        if (names.includes(context.name)) events.push({ event, context: { ...context } });
      },
    ]),
  ) as unknown as Parameters<typeof trace.subscribe>[0];
  trace.subscribe(handlers);
  t.teardown(() => trace.unsubscribe(handlers));
  return events;
}

function record<T extends { name: string }>(t: ExecutionContext, name: string, names: string[]): T[] {
  const messages: T[] = [];
  const listener = (message: unknown) => {
    if (names.includes((message as T).name)) messages.push(message as T);
  };
  channel(name).subscribe(listener);
  t.teardown(() => channel(name).unsubscribe(listener));
  return messages;
}

test.serial('RwLock: read, write, with*, tries and timeouts trace start/end/asyncStart/asyncEnd/error', async (t) => {
  const name = uniqueName('dc-rw');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const events = recordAcquires(t, [name]);

  const guard = await lock.write();
  t.deepEqual(
    events.map((e) => e.event),
    ['start', 'end', 'asyncStart', 'asyncEnd'],
  );
  const granted = events[2]!.context;
  t.like(granted, { name, mode: 'write', kind: 'RwLock', timeout: Infinity, granted: true, abandoned: false });
  t.true(typeof granted.waitedMs === 'number' && granted.waitedMs >= 0 && granted.waitedMs < 1000);
  t.is(events[0]!.context.granted, undefined, 'start comes before the outcome');

  // A try against a held lock: start and end, not granted.
  events.length = 0;
  t.is(lock.tryRead(), null);
  t.deepEqual(
    events.map((e) => [e.event, e.context.granted]),
    [
      ['start', undefined],
      ['end', false],
    ],
  );
  t.like(events[1]!.context, { mode: 'read', timeout: 0 });

  // A timeout: error with the LockTimeoutError, then asyncStart/asyncEnd.
  events.length = 0;
  await t.throwsAsync(lock.read({ timeout: 30 }), { code: 'ERR_LOCK_TIMEOUT' });
  t.deepEqual(
    events.map((e) => e.event),
    ['start', 'end', 'error', 'asyncStart', 'asyncEnd'],
  );
  t.like(events[2]!.context, { mode: 'read', timeout: 30 });
  t.is((events[2]!.context.error as LockTimeoutError).code, 'ERR_LOCK_TIMEOUT');
  guard.release();

  // A wait that another process ends: waitedMs is the wait.
  const other = await Agent.start();
  t.teardown(() => other.stop());
  await other.call('acquire', { lock: name, mode: 'write', key: 'w' });
  events.length = 0;
  const waiting = lock.withRead(() => 'read');
  await sleep(150);
  await other.call('release', { key: 'w' });
  t.is(await waiting, 'read');
  const grant = events.find((e) => e.event === 'asyncStart')!.context;
  t.like(grant, { mode: 'read', granted: true, abandoned: false });
  t.true(grant.waitedMs! >= 100, `waited ${grant.waitedMs} ms`);
});

test.serial('release: every guard release is reported once, with how long it was held', async (t) => {
  const name = uniqueName('dc-rel');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const released = record<ReleaseMessage>(t, 'interlocked:release', [name]);
  const guard = lock.tryWrite()!;
  await sleep(20);
  guard.release();
  guard.release(); // idempotent: not reported twice
  await lock.withRead(() => sleep(5));
  t.is(released.length, 2);
  t.like(released[0], { name, mode: 'write', kind: 'RwLock' });
  t.true(released[0]!.heldMs! >= 15, `held ${released[0]!.heldMs} ms`);
  t.like(released[1], { name, mode: 'read', kind: 'RwLock' });
});

test.serial('LockManager: requests trace with the name the program used, and nothing doubles as RwLock', async (t) => {
  const prefix = `${uniqueName('dcm')}.`;
  t.teardown(() => unlinkPrefix(prefix));
  const manager = new LockManager({ prefix });
  const name = 'résumé/render'; // not a plain name: its RwLock form is encoded
  const osName = manager.lockName(name);
  const events = recordAcquires(t, [name, osName]);
  const released = record<ReleaseMessage>(t, 'interlocked:release', [name, osName]);

  t.is(await manager.request(name, { mode: 'shared' }, () => 'done'), 'done');
  t.deepEqual(
    events.map((e) => [e.event, e.context.name]),
    kinds.filter((k) => k !== 'error').map((k) => [k, name]),
  );
  t.like(events[2]!.context, { mode: 'shared', kind: 'LockManager', timeout: Infinity, granted: true });
  t.deepEqual(
    released.map((r) => [r.name, r.mode, r.kind]),
    [[name, 'shared', 'LockManager']],
  );

  // ifAvailable while another request holds it: start and end, not granted.
  events.length = 0;
  let inner: unknown;
  await manager.request(name, async () => {
    inner = await manager.request(name, { ifAvailable: true }, (lock) => lock);
  });
  t.is(inner, null);
  const tried = events.filter((e) => e.context.timeout === 0);
  t.deepEqual(
    tried.map((e) => [e.event, e.context.granted]),
    [
      ['start', undefined],
      ['end', false],
    ],
  );
});

test.serial(
  'recover: a process killed inside the write lock is reported with its pid; the next grant is abandoned',
  async (t) => {
    const name = uniqueName('dc-rec');
    t.teardown(() => unlinkAll(name));
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const recovered = record<RecoverMessage>(t, 'interlocked:recover', [name]);
    const events = recordAcquires(t, [name]);
    const victim = await Agent.start();
    t.teardown(() => victim.stop());
    await victim.call('acquire', { lock: name, mode: 'write', key: 'w' });
    await victim.kill();
    const guard = await lock.write({ timeout: 3000 });
    t.true(guard.abandoned);
    await sleep(50); // the report comes through the event loop
    t.deepEqual(recovered, [{ name, pid: victim.pid, abandoned: true }]);
    t.true(events.find((e) => e.event === 'asyncStart')!.context.abandoned);
    guard.markConsistent();
    guard.release();
  },
);

test.serial('recover: a recovery made by a Worker of this process is reported on this thread too', async (t) => {
  const name = uniqueName('dc-recw');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name); // this thread has the lock open: it hears of the lock's recoveries
  t.teardown(() => lock.close());
  const recovered = record<RecoverMessage>(t, 'interlocked:recover', [name]);
  const victim = await Agent.start();
  t.teardown(() => victim.stop());
  await victim.call('acquire', { lock: name, mode: 'read', key: 'r' });
  await victim.kill();
  // A try-only Worker: its failed try finds the dead reader and takes the slot back.
  const worker = new Worker(
    `import { RwLock } from 'interlocked';
     import { parentPort } from 'node:worker_threads';
     const lock = RwLock.open(${JSON.stringify(name)});
     let g = null;
     for (let i = 0; i < 300 && g === null; i++) { g = lock.tryWrite(); if (!g) await new Promise((r) => setTimeout(r, 10)); }
     parentPort.postMessage(g !== null);
     g?.release();
     lock.close();`,
    { eval: true, type: 'module' } as never,
  );
  const took = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.true(took, 'the Worker got the lock once the dead reader was recovered');
  await sleep(50);
  t.deepEqual(recovered, [{ name, pid: victim.pid, abandoned: false }]);
});

test.serial('NODE_DEBUG=interlocked logs opens, waits, grants, releases and recoveries; silent without it', (t) => {
  const name = uniqueName('dc-debug');
  t.teardown(() => unlinkAll(name));
  const script = `
    import { RwLock, NamedEvent, SharedMemory } from 'interlocked';
    import { spawn } from 'node:child_process';
    const name = ${JSON.stringify(name)};
    const lock = RwLock.open(name);
    // A child that dies holding the write lock.
    const code = "import { RwLock } from 'interlocked'; const l = RwLock.open(" + JSON.stringify(name) +
      "); globalThis.g = l.tryWrite(); process.send('held'); setInterval(() => {}, 1000);";
    const child = spawn(process.execPath, ['--input-type=module', '-e', code],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_DEBUG: '' } });
    await new Promise((r) => child.once('message', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const g = await lock.write({ timeout: 3000 });
    g.markConsistent();
    g.release();
    const m = SharedMemory.open(name, { size: 64 }); m.close(); SharedMemory.unlink(name);
    const e = NamedEvent.open(name); await e.wait({ timeout: 5 }); e.close(); NamedEvent.unlink(name);
    await new Promise((r) => setTimeout(r, 50));
    lock.close();`;
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
  const logged = run({ NODE_DEBUG: 'interlocked' });
  t.is(logged.status, 0, logged.stderr);
  for (const line of [
    `opened lock ${name}`,
    `acquire write ${name}`,
    `granted write ${name} after`,
    '(abandoned)',
    `recovered ${name}: process`,
    'died inside the write lock',
    `released ${name} (write)`,
    `created shared memory ${name} (64 bytes)`,
    `opened event ${name}`,
    `wait for event ${name}`,
    `event ${name}: timed out`,
  ]) {
    t.true(logged.stderr.includes(line), `logs "${line}":\n${logged.stderr}`);
  }
  t.regex(logged.stderr, new RegExp(`^INTERLOCKED ${logged.pid}: `, 'm'), "util.debuglog's prefix");
  const quiet = run({ NODE_DEBUG: '' });
  t.is(quiet.status, 0, quiet.stderr);
  t.is(quiet.stderr, '');
});
