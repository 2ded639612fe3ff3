// The glibc floor's replacements (src/native/platform/glibc_compat.cc) do what glibc does: the old
// pthread bindings, fstat, arc4random and the unwinder's _dl_find_object, compared with glibc's own
// in a program linked as the addon is (test/native/glibc_compat_check.cc). The floor itself (what
// the prebuilds need) is checked by the package test (scripts/package-checks/glibc-floor.mjs).
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const native = fileURLToPath(new URL('../src/native/', import.meta.url));
const glibc =
  process.platform === 'linux' &&
  typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header?.glibcVersionRuntime ===
    'string';
const glibcOnly = glibc ? test : test.skip; // the replacements are for glibc

glibcOnly('the glibc compat wrappers answer as glibc does, and exceptions unwind through them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'interlocked-glibc-compat-'));
  chmodSync(dir, 0o755);
  const exe = join(dir, 'glibc_compat_check');
  const source = fileURLToPath(new URL('../test/native/glibc_compat_check.cc', import.meta.url));
  await run(process.env.CXX ?? 'g++', [
    '-std=c++17',
    '-O1',
    '-Wall',
    '-Wextra',
    '-Werror',
    `-I${native}`,
    source,
    join(native, 'platform/glibc_compat.cc'),
    '-static-libstdc++',
    '-static-libgcc',
    '-Wl,--wrap=_dl_find_object',
    '-ldl',
    '-o',
    exe,
  ]);
  const { stdout } = await run(exe, []);
  t.log(stdout.trim());
  t.notRegex(stdout, /FAIL/);
  t.regex(stdout, /ok a C\+\+ exception is caught/);
});
