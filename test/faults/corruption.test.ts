// Corrupt segments: random damage to lock segments never crashes or hangs a process.
import test from 'ava';
import { uniqueName } from '../helpers/names.js';
import { runFixture } from './helpers.js';

for (const [region, iterations] of [
  ['header', 1000],
  ['state', 300],
] as const) {
  // Damages the lock's backing file: Linux only.
  (process.platform === 'win32' ? test.skip : test)(
    `${iterations} random corruptions of the ${region}: typed errors or working locks, no crash, no hang`,
    async (t) => {
      const base = uniqueName(`fuzz-${region}`);
      const seed = String(Math.floor(Math.random() * 2 ** 31));
      const result = await runFixture('fuzz-segment', [base, String(iterations), seed, region], {}, 80_000);
      t.is(result.code, 0, `seed ${seed}: ended with ${result.code ?? result.signal}`);
      const outcomes = JSON.parse(result.stdout) as Record<string, number>;
      t.log(`seed ${seed}: ${JSON.stringify(outcomes)}`);
      t.is(
        Object.values(outcomes).reduce((a, b) => a + b, 0),
        iterations,
      );
      for (const code of Object.keys(outcomes)) {
        t.true(['ok', 'ERR_INCOMPATIBLE', 'ERR_LOCK_TIMEOUT', 'ERR_TOO_MANY_PROCESSES'].includes(code), code);
      }
      if (region === 'header') t.true((outcomes.ERR_INCOMPATIBLE ?? 0) > 0, 'damage to the header is noticed');
    },
  );
}
