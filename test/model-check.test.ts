import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const native = fileURLToPath(new URL('../src/native/', import.meta.url));
const model = fileURLToPath(new URL('../test/native/model/', import.meta.url));

// The real portable core and the real async/process_lock.cc against the fake platform and the
// model's mutex and threads (test/native/model/): no OS layer, no Node. The same compiler command as
// test/native/model/run.sh, split into objects so that the builds with an injected bug only
// recompile the patched file.
// Extra compiler flags, for a sanitizer run of this same test (scripts/sanitize.mjs), e.g.
//   INTERLOCK_NATIVE_CXXFLAGS='-O1 -g -fsanitize=thread' TSAN_OPTIONS=halt_on_error=1
const extraFlags = (process.env.INTERLOCK_NATIVE_CXXFLAGS ?? '').split(/\s+/).filter(Boolean);
const cxxflags = [
  '-std=c++17',
  '-O2',
  '-pthread',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-DINTERLOCK_MODEL_CHECK',
  `-I${native}`,
  `-I${model}`,
  ...extraFlags,
];
const commonSources = [
  ...[
    'scheduler.cc',
    'primitives.cc',
    'fake_platform.cc',
    'scenarios.cc',
    'js_driver.cc',
    'model_registry.cc',
    'explorers.cc',
    'model_check.cc',
  ].map((f) => join(model, f)),
  join(native, 'core/names.cc'),
];

// The CI budget (seconds), split over the scenarios by `model_check ci`. About 36 s of exploration
// on a 2-core machine; the self-tests below run beside it.
const budget = 36;

// At most two compilers at once (the machine this runs on has two cores).
async function inPool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

const compile = (src: string, obj: string) => () =>
  run('g++', [...cxxflags, '-c', src, '-o', obj], { timeout: 180_000 }).then(() => obj);

// The injected bugs for the self-tests, each a patch of the source text of the core or of
// async/process_lock.cc.
interface Injection {
  name: string;
  file: 'core/rw_lock_segment.cc' | 'async/process_lock.cc';
  from: string;
  to: string;
}

// A waiter that leaves (its deadline passed, it was aborted) no longer passes on the wake-up that a
// release gave it alone (since protocol 3 a release wakes one waiter): the bits it raised stay up
// and the next waiter is not woken.
const dropSettle: Injection = {
  name: 'drop-settle',
  file: 'core/rw_lock_segment.cc',
  from: `  if (old & (slot_flag::kWantWrite | slot_flag::kStarving)) settle();`,
  to: `  (void)old;  // injected bug: a waiter that leaves does not pass on a wake-up meant for it`,
};

// The old drop_writer_if_stray reader-bit loop (commit 408b0b0): it loads a bit, then the slot's
// owner, and clears the bit when the owner is 0, without owning the slot. In between, the slot can be
// freed and claimed again by a new reader, whose bit it then clears: a writer enters beside it.
const oldStrayLoop: Injection = {
  name: 'old-stray-loop',
  file: 'core/rw_lock_segment.cc',
  from: `  for (uint32_t word = 0; word < kMaxSlots / 64; ++word) {
    uint64_t bits = layout_->readers.words[word].load(kSeq);
    for (uint32_t b = 0; bits != 0 && b < 64; ++b) {
      uint32_t i = word * 64 + b;
      if (!(bits >> b & 1)) continue;
      if (i >= slot_count_) {  // no process can own such a slot
        layout_->readers.words[word].fetch_and(~(uint64_t{1} << b), kSeq);
      } else if (layout_->slots[i].owner.load(kSeq) == 0) {
        clear_stray_reader(i);
      }
    }
  }`,
  to: `  for (uint32_t word = 0; word < kMaxSlots / 64; ++word) {
    uint64_t bits = layout_->readers.words[word].load(kSeq);
    for (uint32_t b = 0; bits != 0 && b < 64; ++b) {
      uint32_t i = word * 64 + b;
      if ((bits >> b & 1) && (i >= slot_count_ || layout_->slots[i].owner.load(kSeq) == 0)) {
        layout_->readers.words[word].fetch_and(~(uint64_t{1} << b), kSeq);
      }
    }
  }`,
};

// The lines of a report that say what was found, by which search (seed or DFS) and how to replay it.
const found = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => /^(VIOLATION in|choice path:|replay:)/.test(line))
    .join('\n');

// In the real async layer: serve_ready() on a JS thread that finds the waiter thread at work no
// longer sets the park event, so the waiter parks through the grant the doorbell ring stood for.
const serveReadyNoWake: Injection = {
  name: 'serve-ready-no-wake',
  file: 'async/process_lock.cc',
  from: `    // It may be past its look at the queue and about to park, and a ring does not set the park
    // event: set it, so the waiter thread looks again instead of sleeping through this grant.
    segment_.wake_self();
    return;`,
  to: `    return;  // injected bug: the waiter thread is not told to look again`,
};

interface Failed {
  code: number;
  stdout: string;
}

// Runs a binary that must find a violation; returns its exit status and output.
async function mustFail(exe: string, args: string[]): Promise<Failed> {
  return run(exe, args, { timeout: 150_000, maxBuffer: 64 << 20 }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (e: Failed) => e,
  );
}

// Compiled with the host's g++ and driven by threads: not under Wine.
(process.platform === 'win32' ? test.skip : test)(
  'model check: the real process_lock.cc and core over explored interleavings (mutual exclusion, no lost wake-up, crash recovery)',
  async (t) => {
    t.timeout(240_000);
    const dir = mkdtempSync(join(tmpdir(), 'interlock-model-'));
    const real = {
      core: join(native, 'core/rw_lock_segment.cc'),
      lock: join(native, 'async/process_lock.cc'),
    };
    const patched = (bug: Injection): string => {
      const text = readFileSync(join(native, bug.file), 'utf8');
      t.true(text.includes(bug.from), `the injection site of ${bug.name} is still in ${bug.file}`);
      const out = join(dir, `${bug.name}.${basename(bug.file)}`);
      writeFileSync(out, text.replace(bug.from, bug.to));
      return out;
    };
    // Binaries: [core, process_lock] sources on top of the common objects.
    const variants: [string, string][] = [
      [real.core, real.lock],
      [patched(dropSettle), real.lock],
      [patched(oldStrayLoop), real.lock],
      [real.core, patched(serveReadyNoWake)],
    ];
    const sources = [...new Set([...commonSources, ...variants.flat()])];
    const objects = await inPool(sources.map((src, i) => compile(src, join(dir, `${i}.${basename(src, '.cc')}.o`))));
    const objectOf = (src: string) => objects[sources.indexOf(src)]!;
    const common = commonSources.map(objectOf);
    const [exe, dropSettleExe, oldStrayExe, serveReadyExe] = await Promise.all(
      variants.map(async ([core, lock], i) => {
        const out = join(dir, `model_check_${i}`);
        await run('g++', ['-pthread', ...extraFlags, ...common, objectOf(core), objectOf(lock), '-o', out], {
          timeout: 60_000,
        });
        return out;
      }),
    );

    // The real code: every scenario, bounded DFS then random schedules, within the budget. Beside it,
    // the self-tests: the checker has teeth, each injected bug is found within the CI budget of its
    // scenario, with a schedule that replays.
    const [checked, lostWakeup, stray, serveReady] = await Promise.all([
      run(exe!, ['ci', String(budget)], { timeout: 200_000, maxBuffer: 64 << 20 }).catch((e: Failed) => {
        t.fail(`model check failed:\n${e.stdout}`);
        return e;
      }),
      mustFail(dropSettleExe!, ['ci', String(budget), 'timeouts']),
      mustFail(oldStrayExe!, ['ci', String(budget), 'stray-reader']),
      // Random schedules from seed 1 (deterministic): found at seed 1314 (protocol 3 with turns:
      // the waiter thread's own starvation timer now hides the bug in most schedules).
      mustFail(serveReadyExe!, ['random', 'doorbell', '1', '3000']),
    ]);

    t.is(lostWakeup.code, 1, 'the model checker missed the injected lost wake-up');
    t.regex(lostWakeup.stdout, /VIOLATION in scenario timeouts .*(lost wake-up|stale writers-waiting bit)/);
    t.regex(lostWakeup.stdout, /replay reproduced the violation/);
    t.log(found(lostWakeup.stdout));

    t.is(stray.code, 1, 'the model checker missed the old drop_writer_if_stray race');
    t.regex(
      stray.stdout,
      /VIOLATION in scenario stray-reader .*mutual exclusion: P\d enters to write while P\d is inside/,
    );
    t.regex(stray.stdout, /replay reproduced the violation/);
    t.log(found(stray.stdout));

    t.is(serveReady.code, 1, 'the model checker missed the lost wake-up injected into process_lock.cc');
    t.regex(serveReady.stdout, /VIOLATION in scenario doorbell .*lost wake-up/);
    t.regex(serveReady.stdout, /replay reproduced the violation/);
    t.log(found(serveReady.stdout));

    t.log(checked.stdout.trim());
    t.regex(checked.stdout, /model check passed/);
  },
);
