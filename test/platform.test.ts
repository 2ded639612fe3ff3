// Where the addon does not run, the package still imports and says why at the first native use;
// its install script builds nothing there (faked by a preload that changes what process reports).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const consumer = fileURLToPath(new URL('../scripts/package-consumers/unsupported.mjs', import.meta.url));
const installScript = fileURLToPath(new URL('../install.cjs', import.meta.url));
// Not the sanitizer run's addon override: what is tested is the platform check before any load.
const env = { ...process.env, INTERLOCK_ADDON: '' };

function fake(values: Record<string, string>, musl = false): string {
  const set = Object.entries(values).map(([k, v]) => `Object.defineProperty(process,'${k}',{value:'${v}'});`);
  if (musl) set.push('process.report.getReport=()=>({header:{}});');
  return `data:text/javascript,${set.join('')}`;
}

for (const [platform, arch] of [
  ['darwin', 'arm64'],
  ['darwin', 'x64'],
  ['freebsd', 'x64'],
  ['linux', 'ia32'],
  ['win32', 'arm64'],
] as const) {
  test(`${platform}-${arch}: imports, ERR_UNSUPPORTED_PLATFORM at the first native use, nothing built`, (t) => {
    const preload = fake({ platform, arch });
    const use = spawnSync(process.execPath, ['--import', preload, consumer], { cwd: root, env, encoding: 'utf8' });
    t.is(use.status, 0, use.stderr);
    t.regex(use.stdout, /unsupported ok/);
    const install = spawnSync(process.execPath, ['--import', preload, installScript], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    t.is(install.status, 0, install.stderr);
    t.regex(
      install.stderr,
      new RegExp(`no native support for ${platform}-${arch}( \\((glibc|musl)\\))?: nothing to build`),
    );
  });
}

(process.platform === 'linux' ? test : test.skip)('linux on musl (Alpine): the install script builds nothing', (t) => {
  const install = spawnSync(process.execPath, ['--import', fake({}, true), installScript], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  t.is(install.status, 0, install.stderr);
  t.regex(install.stderr, /no native support for linux-x64 \(musl\)|no native support for linux-arm64 \(musl\)/);
});
