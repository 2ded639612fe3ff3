import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const native = fileURLToPath(new URL('../src/native/', import.meta.url));
const model = fileURLToPath(new URL('../test/native/model/', import.meta.url));
const modelSources = ['scheduler.cc', 'fake_platform.cc', 'model_check.cc'].map((f) => join(model, f));

// The real portable core against the fake platform (test/native/model/): no OS layer, no Node.
async function build(exe: string, core = join(native, 'core/rw_lock_segment.cc')): Promise<void> {
  await run(
    'g++',
    [
      '-std=c++17',
      '-O2',
      '-pthread',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-DINTERLOCK_MODEL_CHECK',
      `-I${native}`,
      `-I${model}`,
      ...modelSources,
      core,
      join(native, 'core/names.cc'),
      join(native, 'platform/no_bell.cc'),
      '-o',
      exe,
    ],
    { timeout: 120_000 },
  );
}

// The injected bug for the self-test: a process whose queued write goes away (a read is next) no
// longer settles, so the writers-waiting bit it raised is never cleared and readers park for good.
const dropSettle = {
  from: '  if (!write && (was & slot_flag::kWantWrite)) settle();',
  to: '  (void)was;  // injected bug: no settle when the waiting write goes away',
};

// Compiled with the host's g++ and driven by threads: not under Wine.
(process.platform === 'win32' ? test.skip : test)(
  'model check: mutual exclusion, no lost wake-up and crash recovery over explored interleavings of the real core',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'interlock-model-'));
    const exe = join(dir, 'model_check');
    const buggyExe = join(dir, 'model_check_buggy');
    const buggyCore = join(dir, 'core', 'rw_lock_segment.cc');
    mkdirSync(join(dir, 'core'));
    const core = readFileSync(join(native, 'core/rw_lock_segment.cc'), 'utf8');
    t.true(core.includes(dropSettle.from), 'the self-test injection site is still in rw_lock_segment.cc');
    writeFileSync(buggyCore, core.replace(dropSettle.from, dropSettle.to));
    await Promise.all([build(exe), build(buggyExe, buggyCore)]);

    // The checker has teeth: the injected lost wake-up is found, with a schedule to replay.
    const found = await run(buggyExe, ['dfs', 'write-then-read', '2', '20'], { timeout: 30_000 }).then(
      () => t.fail('the model checker missed the injected lost wake-up') as never,
      (e: { code: number; stdout: string }) => e,
    );
    t.is(found.code, 1);
    t.regex(found.stdout, /lost wake-up/);
    t.regex(found.stdout, /replay reproduced the violation/);
    t.log(found.stdout.split('\n').slice(0, 2).join('\n'));

    // The real core: every scenario, bounded DFS then random schedules, within a fixed budget.
    const { stdout } = await run(exe, ['ci', '30'], { timeout: 60_000 }).catch((e: { stdout: string }) => {
      t.fail(`model check failed:\n${e.stdout}`);
      return e;
    });
    t.log(stdout.trim());
    t.regex(stdout, /model check passed/);
  },
);
