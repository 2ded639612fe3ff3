import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const native = fileURLToPath(new URL('../src/native/', import.meta.url));

// The Linux platform sources plus everything below the Node-API surface.
function sources(): string[] {
  const files = ['async/process_lock.cc', 'async/lock_registry.cc', 'core/rw_lock_segment.cc', 'core/names.cc'];
  for (const f of readdirSync(join(native, 'platform'))) {
    if (/^(linux|posix)_.*\.cc$/.test(f)) files.push(`platform/${f}`);
  }
  return files.map((f) => join(native, f));
}

// The stress program itself (test/native/stress/): the shared region, the children, the parent, its run.
const stress = fileURLToPath(new URL('../test/native/stress/', import.meta.url));
const stressSources = ['shared.cc', 'child.cc', 'parent.cc', 'main.cc'].map((f) => join(stress, f));

// Extra compiler flags, for a sanitizer run of this same test, e.g.
//   INTERLOCK_NATIVE_CXXFLAGS='-O1 -g -fsanitize=thread' STRESS_TIME_SCALE=3 TSAN_OPTIONS=halt_on_error=1
// (a child that a sanitizer stops exits with an error code, and the parent reports it).
const extraFlags = (process.env.INTERLOCK_NATIVE_CXXFLAGS ?? '').split(/\s+/).filter(Boolean);
const sanitizerReport = /ERROR: (Address|Thread|Leak|Memory)Sanitizer|WARNING: ThreadSanitizer|runtime error:/;

// Real child processes (forked, each with its own slot, several threads and, mostly, a doorbell
// served from a loop thread), SIGKILLed at random moments and replaced. Builds the core with the
// host's g++ against the Linux platform layer: not under Wine.
(process.platform === 'win32' ? test.skip : test)(
  'native stress: processes killed inside and outside the lock, recovery, abandoned, doorbell, try-only',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'interlock-stress-'));
    const exe = join(dir, 'stress');
    // One compiler per core: the build is most of this test's time.
    const pending = [...stressSources, ...sources()].map((src, i) => ({
      src,
      obj: join(dir, `${i}-${basename(src)}.o`),
    }));
    const queue = [...pending];
    const compile = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        await run(
          'g++',
          ['-std=c++17', '-O2', '-pthread', ...extraFlags, `-I${native}`, '-c', next.src, '-o', next.obj],
          {
            timeout: 120_000,
          },
        );
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(4, availableParallelism())) }, compile));
    await run('g++', ['-pthread', ...extraFlags, ...pending.map((p) => p.obj), '-o', exe, '-lrt'], {
      timeout: 120_000,
    });
    // children, threads per child (the last one try-only), seconds, write percent, kill every ms
    for (const args of [
      ['4', '3', '3', '30', '150'],
      ['6', '2', '3', '60', '100'],
      ['3', '4', '2', '10', '250'],
    ]) {
      const result = await run(exe, args, { timeout: 60_000 }).catch(
        (e: { stdout?: string; stderr?: string; code?: number | string; signal?: string }) => {
          t.fail(
            `stress ${args.join(' ')} failed (${e.code ?? e.signal}):\n${e.stdout ?? ''}\n${(e.stderr ?? '').slice(-20_000)}`,
          );
          return { stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
        },
      );
      if (sanitizerReport.test(result.stderr)) t.fail(`stress ${args.join(' ')}: sanitizer report:\n${result.stderr}`);
      t.log(result.stdout.trim());
    }
    t.pass();
  },
);
