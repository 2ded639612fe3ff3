import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

// Builds the core with the host's g++ against the Linux platform layer: not under Wine.
(process.platform === 'win32' ? test.skip : test)(
  'native stress: no overlap, no lost request, no idle lock with waiters (threads as processes)',
  async (t) => {
    const exe = join(mkdtempSync(join(tmpdir(), 'interlock-stress-')), 'stress');
    const testSource = fileURLToPath(new URL('../test/native/process_lock_stress.cc', import.meta.url));
    await run('g++', ['-std=c++17', '-O2', '-pthread', `-I${native}`, testSource, ...sources(), '-o', exe, '-lrt'], {
      timeout: 120_000,
    });
    for (const args of [
      ['4', '3', '4', '30'],
      ['6', '2', '3', '60'],
      ['3', '4', '3', '10'],
    ]) {
      const { stdout } = await run(exe, args, { timeout: 30_000 }).catch((e: { stdout: string }) => {
        t.fail(`stress ${args.join(' ')} failed: ${e.stdout}`);
        return e;
      });
      t.log(stdout.trim());
    }
    t.pass();
  },
);
