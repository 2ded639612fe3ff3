// Eventual fairness (protocol 3): a process may take a free lock past waiters that are young, so a
// running process is not made to pay a wake-up per operation; but a waiter that has waited past the
// bound (a few ms) raises kStarving, and from then on nobody takes the lock past it. Checked the way a
// user breaks it: another process re-takes the lock on the fast path in a tight loop, the moment it
// lets go, for as long as the test runs; every request of this process must still be granted soon.
import test from 'ava';
import { spawn } from 'node:child_process';
import { RwLock } from 'interlocked';
import { sleep, uniqueName, unlinkAll } from './helpers/names.js';

/** A process that holds `name` ~20 µs at a time and re-takes it at once, for `ms`. */
function hammer(name: string, ms: number, mode: 'write' | 'read') {
  const code = `
    import { RwLock } from 'interlocked';
    const lock = RwLock.open(${JSON.stringify(name)});
    process.send('ready');
    const end = performance.now() + ${ms};
    let held = 0;
    while (performance.now() < end) {
      const g = lock.${mode === 'write' ? 'tryWrite' : 'tryRead'}();
      if (g === null) continue;
      held++;
      const until = performance.now() + 0.02;
      while (performance.now() < until);
      g.release();
    }
    process.send(held);
    lock.close();
    process.disconnect();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: unknown[] = [];
  const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
  child.on('message', (m) => messages.push(m));
  const done = new Promise<number>((resolve) => child.once('exit', () => resolve(Number(messages.at(-1)))));
  return { ready, done, child };
}

for (const [waiterMode, hammerMode] of [
  ['write', 'write'],
  ['read', 'write'],
  ['write', 'read'],
] as const) {
  test.serial(
    `a ${waiterMode} request is granted within the bound while another process re-takes a ${hammerMode} lock in a tight loop`,
    async (t) => {
      const name = uniqueName(`fair-${waiterMode}-${hammerMode}`);
      t.teardown(() => unlinkAll(name));
      const lock = RwLock.open(name);
      t.teardown(() => lock.close());
      const h = hammer(name, 2500, hammerMode);
      t.teardown(() => h.child.kill('SIGKILL'));
      await h.ready;
      await sleep(100); // the hammer is at it
      // This event loop is busy too, in 1 ms chunks: a grant brought to it by the doorbell comes
      // late, and the hammer, which never waits, would take the lock back first every time.
      const busy = setInterval(() => {
        const until = performance.now() + 1;
        while (performance.now() < until);
      }, 0);
      t.teardown(() => clearInterval(busy));
      const waits: number[] = [];
      const end = performance.now() + 1500;
      while (performance.now() < end) {
        const asked = performance.now();
        const guard = await (waiterMode === 'write' ? lock.write({ timeout: 2000 }) : lock.read({ timeout: 2000 }));
        waits.push(performance.now() - asked);
        guard.release();
        await sleep(2);
      }
      clearInterval(busy);
      const held = await h.done;
      waits.sort((a, b) => a - b);
      const max = waits.at(-1)!;
      const p50 = waits[Math.floor(waits.length / 2)]!;
      t.log(
        `${waits.length} grants beside ${held} of the hammer; wait p50 ${p50.toFixed(2)} ms, max ${max.toFixed(1)} ms`,
      );
      t.true(held > 1000, 'the hammer did take the lock over and over');
      t.true(waits.length >= 50, `${waits.length} grants in 1.5 s`);
      // A guard against starvation and lost wake-ups, not a proof of the 1 ms starvation bound: 6-25 ms
      // measured on this 2-core machine with protocol 3 (3-8 ms idle with protocol 2, up to 87 ms
      // with three CI runs at once on it); without kStarving, idle runs reached 18-46 ms in two of three.
      // Under qemu-user (the arm64 suite) everything runs 5-20x slower: 70-148 ms measured there.
      const bound = process.env.INTERLOCKED_TEST_EMULATED ? 400 : 100;
      t.true(max < bound, `every request granted within ${bound} ms (max ${max.toFixed(1)} ms)`);
    },
  );
}
