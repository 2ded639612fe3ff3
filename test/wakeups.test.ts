// One wake-up per handoff, however many wait (protocol 3): a release wakes the one waiter it hands
// the lock to, not every waiting process. Checked from outside the library: before and after each
// handoff the test reads the context-switch count of every waiting process's event-loop thread
// (/proc/<pid>/task/<pid>/status); one that did not switch was not woken. Linux only.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RwLock } from 'interlocked';
import { sleep, uniqueName, unlinkAll } from './helpers/names.js';

/**
 * Context switches so far of the main thread of `pid` (its event loop): a handoff rings the event
 * loop of the process it goes to. Its other threads are left out: each waiting process's waiter
 * thread also wakes every 100 ms on its own, to recover dead holders, and tells its exit watch.
 */
function switches(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8');
    let n = 0;
    for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) n += Number(m[1]);
    return n;
  } catch {
    return -1; // gone: counted as woken
  }
}

interface Waiter {
  child: ChildProcess;
  granted: Promise<void>;
}

/**
 * A process that waits for the write lock once, says 'granted', and releases when told; it stays
 * until killed (a waiter watches the holder it waits behind, and wakes, rightly, when that exits).
 */
function waiter(name: string): Promise<Waiter> {
  const code = `
    import { RwLock } from 'interlocked';
    const lock = RwLock.open(${JSON.stringify(name)});
    process.send('asked');
    const guard = await lock.write();
    process.send('granted');
    process.once('message', () => guard.release());`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const granted = new Promise<void>((resolve) =>
    child.on('message', (m) => {
      if (m === 'granted') resolve();
    }),
  );
  return new Promise((resolve) => child.once('message', () => resolve({ child, granted })));
}

test.serial('a release wakes only the waiter it hands the lock to, with 8 processes waiting', async (t) => {
  if (process.platform !== 'linux') {
    t.pass('reads /proc: Linux only');
    return;
  }
  const name = uniqueName('wakeups');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const first = lock.tryWrite();
  t.truthy(first);
  const waiting: Waiter[] = [];
  const all: Waiter[] = [];
  t.teardown(() => all.forEach((w) => w.child.kill('SIGKILL')));
  for (let i = 0; i < 8; i++) {
    waiting.push(await waiter(name));
    all.push(waiting.at(-1)!);
    await sleep(5);
  }
  await sleep(300); // every waiter parked, its starvation timer long past
  const woken: number[] = [];
  let release = () => first!.release();
  while (waiting.length > 0) {
    const before = waiting.map((w) => switches(w.child.pid!));
    release();
    const winner = await Promise.race(waiting.map((w) => w.granted.then(() => w)));
    await sleep(3);
    const after = waiting.map((w) => switches(w.child.pid!));
    woken.push(after.filter((n, i) => n < 0 || n !== before[i]).length);
    waiting.splice(waiting.indexOf(winner), 1);
    release = () => winner.child.send('release');
    await sleep(20);
  }
  release();
  const sorted = [...woken].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const total = woken.reduce((a, b) => a + b, 0);
  t.log(`processes woken per handoff, 8 waiting down to 1: ${woken.join(' ')}`);
  // A release that woke every waiter would make 8 7 6 5 4 3 2 1 (median 4, total 36).
  t.is(median, 1, `one process woken per handoff (${woken.join(' ')})`);
  t.true(total <= 12, `${total} processes woken in 8 handoffs`);
});
