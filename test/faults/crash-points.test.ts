// Fault injection: a process SIGKILLs itself at a named step of the protocol (INTERLOCK_CRASH_AT)
// while others contend; the survivors must make progress and mutual exclusion must hold.
import test from 'ava';
import { RwLock } from 'interlocked';
import { Agent } from '../helpers/agent.js';
import { uniqueName, unlinkAll } from '../helpers/names.js';
import { contend, crashed, runFixture } from './helpers.js';

const survivors = 3;
const iterations = 300;

// Steps hit while contending: the n-th hit lands mid-run, with others waiting.
const contendedPoints = [
  'reader-published:40',
  'reader-left:40',
  'writer-claimed:15',
  'writer-active:15',
  'writer-released:15',
  'wait-published:1',
];

for (const point of contendedPoints) {
  test(`death at ${point}: survivors progress and stay mutually exclusive`, async (t) => {
    const name = uniqueName('crash');
    t.teardown(() => unlinkAll(name));
    const victim = runFixture('crash-victim', ['workload', name, name], { INTERLOCK_CRASH_AT: point });
    const { results, count, extra } = await contend(name, name, survivors, iterations, [victim], 1);
    t.true(crashed(extra[0]!), `the victim reached ${point} (${extra[0]!.stdout.trim()})`);
    t.deepEqual(
      results.map((r) => r.overlaps),
      Array(survivors).fill(0),
    );
    t.is(count, survivors * iterations);
  });
}

// Steps of creating, initialising and joining a segment: the next opener finishes the job.
for (const point of ['segment-created', 'init-claimed', 'init-written', 'slot-claimed']) {
  // A Windows mapping is created with its size in one call: there is no segment-created step.
  const skip = point === 'segment-created' && process.platform === 'win32';
  (skip ? test.skip : test)(`death at ${point} while opening the lock: the next opener repairs it`, async (t) => {
    const name = uniqueName('crashinit');
    t.teardown(() => unlinkAll(name));
    if (point === 'slot-claimed') RwLock.open(name).close(); // joining an existing lock
    const victim = await runFixture('crash-victim', ['open', name, name], { INTERLOCK_CRASH_AT: point });
    t.true(crashed(victim));
    const started = performance.now();
    const lock = RwLock.open(name);
    t.log(`opened ${(performance.now() - started).toFixed(1)} ms after the half-made segment`);
    t.is(lock.inspect().processes, 1, 'the dead opener holds no slot');
    lock.close();
    const { results, count } = await contend(name, `${name}-mem`, 2, 200);
    t.deepEqual(
      results.map((r) => r.overlaps),
      [0, 0],
    );
    t.is(count, 400);
    unlinkAll(`${name}-mem`);
  });
}

// Steps of recovery itself: a recoverer that dies half way is recovered in turn.
for (const point of ['recovery-claimed', 'recovery-cleaned']) {
  test(`death at ${point} (during recovery of a dead writer): others recover both`, async (t) => {
    const name = uniqueName('crashrec');
    t.teardown(() => unlinkAll(name));
    const holder = await Agent.start();
    await holder.call('acquire', { lock: name, mode: 'write', key: 'w' });
    // Opened first so the lock outlives the holder (a Windows mapping dies with its last handle).
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    await holder.kill('SIGKILL');
    const victim = await runFixture('crash-victim', ['write', name, name], { INTERLOCK_CRASH_AT: point });
    t.true(crashed(victim), victim.stdout);
    const guard = await lock.write({ timeout: 2000 });
    t.true(guard.abandoned, 'the first dead writer was inside');
    guard.markConsistent();
    guard.release();
    t.deepEqual(lock.inspect().readers, []);
    // The next process to join sweeps whatever dead slots are left (the victim's own, and the one
    // it was half way through cleaning).
    const joiner = await Agent.start();
    t.teardown(() => joiner.stop());
    await joiner.call('open', { lock: name });
    t.is(lock.inspect().processes, 2, 'only the live processes hold slots');
  });
}
