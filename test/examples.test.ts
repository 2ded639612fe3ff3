// Every example runs, and so does the demo (shortened): each is a real program a user would start.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const example = (file: string) => fileURLToPath(new URL(`../examples/${file}`, import.meta.url));
// TypeScript examples run from their build (npm run build:examples, part of pretest).
const built = (file: string) => fileURLToPath(new URL(`../dist-examples/${file}`, import.meta.url));

for (const [file, expected] of [
  ['rwlock.ts', /count = 1000 \(expected 1000\)/],
  ['named-event.mjs', /= 10 \(expected 10\)/],
  ['locks-request.mjs', /30 lines in 10 whole blocks: true; lock now free/],
  ['piscina/main.mjs', /total = 820 \(expected 820\)\naborted task: AbortError; afterwards 0 waiting, writer none/],
] as const) {
  test(`examples/${file}`, async (t) => {
    const path = file.endsWith('.ts') ? built(file.replace(/\.ts$/, '.js')) : example(file);
    const { stdout } = await run(process.execPath, [path], { timeout: 60_000 });
    t.log(stdout.trim());
    t.regex(stdout, expected);
  });
}

test('the frame pipeline demo (shortened) reads whole frames only', async (t) => {
  const { stdout } = await run(
    process.execPath,
    [
      example('frame-pipeline/main.mjs'),
      '--duration',
      '2',
      '--rate',
      '30',
      '--size',
      '262144',
      '--workers',
      '2',
      '--quiet',
    ],
    { timeout: 60_000 },
  );
  const result = JSON.parse(/RESULT (.*)/.exec(stdout)![1]!) as { written: number; read: number; torn: number };
  t.log(`written ${result.written}, read ${result.read}, torn ${result.torn}`);
  t.is(result.torn, 0);
  t.true(result.written > 10);
  t.true(result.read > 10);
});
