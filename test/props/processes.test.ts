// Properties over real processes: fast-check generates schedules (2 to 8 processes, each a sequence
// of read / write / tryRead / tryWrite / timeout / abort / downgrade / hold / sleep / yield / SIGKILL),
// runs them in real child processes, and the checker verifies the recorded history. A failure prints
// the shrunk schedule, its history and the seed; `npm run test:replay -- <seed> <path>` replays it.
import test from 'ava';
import fc from 'fast-check';
import { checkSchedule, scheduleProperty, stats } from './property.js';

const windows = process.platform === 'win32';
// Fixed seeds (replayable, the same every run) plus one fresh seed per run; a smaller budget under
// Wine, where each process takes about a second to start.
const fixedSeeds = windows ? [1] : [1, 2, 3];
const runsPerSeed = windows ? 3 : 25;
const maxProcesses = windows ? 3 : 8;

for (const seed of [...fixedSeeds, Math.floor(Math.random() * 2 ** 31)]) {
  test.serial(`schedules over real processes, seed ${seed}`, async (t) => {
    // fast-check stops (and reports the smallest counterexample found so far) well before the test
    // times out: a failing schedule is shrunk by re-running real processes, which takes long.
    t.timeout(150_000);
    const before = { ...stats };
    await fc.assert(scheduleProperty(maxProcesses), {
      seed,
      numRuns: runsPerSeed,
      interruptAfterTimeLimit: 90_000,
      includeErrorInReport: true,
    });
    t.log(
      `${stats.schedules - before.schedules} schedules, ${stats.operations - before.operations} operations, ${stats.events - before.events} events checked`,
    );
    t.pass();
  });
}

test.serial('control: the same pipeline run without the lock reports overlaps', async (t) => {
  const schedule = {
    processes: [0, 1, 2].map(() => [
      { op: 'write' as const, hold: 10 },
      { op: 'read' as const, hold: 10 },
      { op: 'write' as const, hold: 10 },
    ]),
  };
  const failure = await checkSchedule(schedule, true);
  t.truthy(failure, 'an unguarded run must not pass');
  t.regex(failure!, /overlap/);
});
