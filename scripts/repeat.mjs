// npm run test:repeat -- N [ava arguments]: runs the ava suite (or the files given) N times in a row,
// built once, stopping at the first failing run. Prints one line per run and a summary.
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 20);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: npm run test:repeat -- <runs>');
  process.exit(2);
}
const build = spawnSync('npm', ['run', 'pretest'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const started = Date.now();
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now();
  const r = spawnSync('npx', ['ava', '--tap', ...process.argv.slice(3)], { encoding: 'utf8' });
  const pass = /^# pass (\d+)/m.exec(r.stdout)?.[1] ?? '0';
  const fail = /^# fail (\d+)/m.exec(r.stdout)?.[1] ?? '?';
  console.log(`run ${i}/${runs}: ${pass} passed, ${fail} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (r.status !== 0 || fail !== '0') {
    console.log(
      r.stdout
        .split('\n')
        .filter((l) => /^not ok|^\s+(message|at|---)|Error/.test(l))
        .join('\n'),
    );
    console.error(r.stderr);
    console.log(`FAILED on run ${i} of ${runs}`);
    process.exit(1);
  }
}
console.log(`all ${runs} runs passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
