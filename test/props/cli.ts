// npm run test:replay -- <seed> [path]     replays one failing property run (as fast-check printed it)
// npm run test:stress -- --minutes N        runs random schedules over real processes for N minutes
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { scheduleProperty, stats } from './property.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { minutes: { type: 'string' }, processes: { type: 'string', default: '8' } },
});
const maxProcesses = Number(values.processes);

if (values.minutes !== undefined) {
  const until = Date.now() + Number(values.minutes) * 60_000;
  let round = 0;
  while (Date.now() < until) {
    const seed = Math.floor(Math.random() * 2 ** 31);
    round++;
    await fc.assert(scheduleProperty(maxProcesses), { seed, numRuns: 10, includeErrorInReport: true });
    console.log(
      `round ${round} (seed ${seed}): ${stats.schedules} schedules, ${stats.operations} operations, ${stats.events} events checked`,
    );
  }
  console.log(
    `stress done: ${stats.schedules} schedules, ${stats.operations} operations, ${stats.events} events, no violation`,
  );
} else {
  const [seed, path] = positionals;
  if (seed === undefined) {
    console.error('usage: npm run test:replay -- <seed> [path]   |   npm run test:stress -- --minutes N');
    process.exit(2);
  }
  await fc.assert(scheduleProperty(maxProcesses), {
    seed: Number(seed),
    ...(path ? { path } : {}),
    numRuns: path ? 1 : 20,
    verbose: 2,
  });
  console.log(`replay passed: ${stats.schedules} schedules`);
}
