// npm run test:sanitize: the suite again with sanitizers (Linux, g++).
//
//   1. The addon built with AddressSanitizer + UndefinedBehaviorSanitizer (build-sanitize/), loaded
//      by every process of the behaviour suite (INTERLOCK_ADDON, with the ASan runtime preloaded
//      into node, which is not instrumented itself): any report fails the run.
//   2. The native tests that compile the core themselves (the model checker, the native stress)
//      built with ThreadSanitizer (INTERLOCK_NATIVE_CXXFLAGS), which fail on any data race.
//
// Extra arguments: ava files for step 1 (default: the behaviour suite below).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = join(root, 'build-sanitize');
const addon = join(out, 'interlocked.node');
const cxx = process.env.CXX ?? 'g++';

// What the ASan run covers: every behaviour and fault test that loads the addon, not those that
// compile native code themselves (step 2), measure speed, or pack the package.
const skip = /^(model-check|native-stress|examples|frames)\.test\.js$|^props\//;

function asanRuntime() {
  const path = execFileSync(cxx, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  if (!path.startsWith('/')) throw new Error(`${cxx} has no libasan.so (Debian: libasan8 comes with g++)`);
  return path;
}

async function buildAddon() {
  const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8')).targets[0];
  const linux = gyp.conditions.find(([cond]) => cond === "OS=='linux'")[1];
  // Not the glibc floor's wrappers (glibc_compat.cc): they serve the shipped binary's --wrap links,
  // and the sanitizer runtimes intercept the pthread calls themselves.
  const sources = [...gyp.sources, ...linux.sources].filter((s) => !s.endsWith('/glibc_compat.cc'));
  const nodeHeaders = resolve(process.execPath, '..', '..', 'include', 'node');
  const flags = [
    '-std=c++17',
    '-O1',
    '-g',
    '-fPIC',
    '-pthread',
    '-fno-omit-frame-pointer',
    '-fsanitize=address,undefined',
    '-fno-sanitize-recover=undefined',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-fexceptions',
    ...gyp.defines.map((d) => `-D${d}`),
    `-I${nodeHeaders}`,
    `-I${require('node-addon-api').include_dir}`,
    `-I${join(root, 'src', 'native')}`,
  ];
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const objects = [];
  const queue = [...sources];
  const { spawn } = await import('node:child_process');
  await Promise.all(
    Array.from({ length: Math.max(1, availableParallelism()) }, async () => {
      while (queue.length) {
        const source = queue.shift();
        const object = join(out, source.replace(/[\\/]/g, '_').replace(/\.cc$/, '.o'));
        await new Promise((ok, fail) => {
          const child = spawn(cxx, [...flags, '-c', join(root, source), '-o', object], { stdio: 'inherit' });
          child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${source}: exit ${code}`))));
        });
        objects.push(object);
      }
    }),
  );
  execFileSync(cxx, ['-shared', '-fsanitize=address,undefined', '-o', addon, ...objects, '-lrt', '-lpthread'], {
    stdio: 'inherit',
  });
  console.log(`built ${addon}`);
}

function behaviourFiles() {
  const dist = join(root, 'dist-test');
  const files = [];
  const walk = (dir, rel) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(dir, entry.name), path);
      else if (path.endsWith('.test.js') && !skip.test(path)) files.push(`dist-test/${path}`);
    }
  };
  walk(dist, '');
  return files.sort();
}

function ava(files, env) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs'), ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return r.status === 0;
}

// The run is only worth something if its processes really run the instrumented addon.
function checkInstrumented(env) {
  const probe = `import { RwLock } from 'interlocked';
    RwLock.open('sanitize-probe').tryWrite()?.release();
    RwLock.unlink('sanitize-probe');
    const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
    console.log(JSON.stringify({ asan: /libasan/.test(maps), addon: maps.includes(${JSON.stringify(addon)}) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const seen = JSON.parse(r.stdout.trim() || '{}');
  if (r.status !== 0 || !seen.asan || !seen.addon) {
    throw new Error(`the sanitized addon is not what runs: ${r.stdout} ${r.stderr}`);
  }
}

const requested = process.argv.slice(2);
await buildAddon();
const asanEnv = {
  INTERLOCK_ADDON: addon,
  LD_PRELOAD: asanRuntime(),
  // Node itself leaks by design at exit and is not instrumented: report memory errors, not leaks.
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1:print_summary=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
checkInstrumented(asanEnv);
console.log(`== ASan + UBSan: ${requested.length ? requested.join(' ') : 'the behaviour and fault suite'}`);
const asanOk = ava(requested.length ? requested : behaviourFiles(), asanEnv);
let tsanOk = true;
if (requested.length === 0) {
  console.log('== ThreadSanitizer: the model checker and the native stress');
  tsanOk = ava(['dist-test/model-check.test.js', 'dist-test/native-stress.test.js'], {
    INTERLOCK_NATIVE_CXXFLAGS: '-fsanitize=thread -g -O1',
    TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1',
    STRESS_TIME_SCALE: '3', // the stress's time bounds, for code that runs several times slower
  });
}
process.exit(asanOk && tsanOk ? 0 : 1);
