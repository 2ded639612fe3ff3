// npm run test:package: what a user gets from the registry. Packs the tarball, checks what is in it
// and lints the package (publint), installs it into a fresh project with no compiler reachable and
// PREBUILDS_ONLY=1, then runs an ESM consumer, a CommonJS consumer, a TypeScript consumer
// (type-checked with module NodeNext) and the ESM consumer again under Wine with the Windows
// node.exe and under qemu-user with the arm64 node (linux-arm64 prebuild);
// scripts/package-checks/consumers-cjs.mjs adds Jest 29, a TypeScript 5.4 node10 consumer, one copy
// per process, arethetypeswrong and the source maps. Run `npm run prebuildify` first (the npm
// script does).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { root, runWindowsNode } from './wine.mjs';
import { checkCommonJsConsumers } from './package-checks/consumers-cjs.mjs';
import { checkPackRefusesMissingPrebuilds } from './package-checks/prebuilds.mjs';
import { runArm64Node } from './arm64.mjs';

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

const work = mkdtempSync(join(tmpdir(), 'interlocked-package-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// 1. The tarball and what is in it.
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
)[0];
const tarball = join(work, packed.filename);
const files = packed.files.map((f) => f.path);
console.log(`packed ${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB`);
const allowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^binding\.gyp$/,
  /^install\.cjs$/,
  /^dist\/package\.json$/,
  /^dist\/.+\.(js|mjs|d\.ts|d\.mts|js\.map)$/,
  /^prebuilds\/(linux-x64|linux-arm64|win32-x64)\/interlocked\.[a-z.]*node$/,
  /^src\/native\/.+\.(cc|h|map)$/, // map: the Linux export list (binding.gyp)
];
const stray = files.filter((f) => !allowed.some((re) => re.test(f)));
check(stray.length === 0, `nothing but the allowed files in the tarball${stray.length ? `: ${stray.join(', ')}` : ''}`);
for (const required of [
  'package.json',
  'README.md',
  'LICENSE',
  'binding.gyp',
  'install.cjs',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/index.js.map',
  'dist/piscina.js',
  'dist/piscina.d.ts',
  'dist/package.json',
  'dist/index.mjs',
  'dist/index.d.mts',
  'dist/piscina.mjs',
  'dist/piscina.d.mts',
  'dist/cli/main.js',
  'prebuilds/linux-x64/interlocked.glibc.node',
  'prebuilds/linux-arm64/interlocked.glibc.node',
  'src/native/platform/linux_exports.map',
  'prebuilds/win32-x64/interlocked.napi.node',
  'src/native/addon.cc',
]) {
  check(files.includes(required), `the tarball has ${required}`);
}
(await import('./package-checks/glibc-floor.mjs')).checkGlibcFloor(root, check); // glibc <= 2.28, no GLIBCXX

// 2. Packaging lint on the unpacked package.
const unpacked = join(work, 'unpacked');
mkdirSync(unpacked);
execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
const pkgDir = join(unpacked, 'package');
const { messages, pkg } = await publint({ pkgDir, level: 'suggestion', strict: true, pack: false });
for (const m of messages) console.log(`  publint ${m.type}: ${formatMessage(m, pkg)}`);
check(messages.length === 0, `publint: ${messages.length} message(s)`);

// 3. A fresh project, installed with no compiler on PATH (a PATH holding only node and sh). Where
// npm runs the package's install script (node-gyp-build), it finds the prebuild and builds nothing.
const project = join(work, 'consumer');
mkdirSync(project);
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'consumer', private: true, version: '1.0.0', type: 'module' }, null, 2),
);
const bin = join(work, 'bin');
mkdirSync(bin);
symlinkSync(process.execPath, join(bin, 'node'));
symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs lifecycle scripts through sh
const npmCli = process.env.npm_execpath;
if (!npmCli || !existsSync(npmCli)) throw new Error('run this through npm (npm run test:package)');
const bare = { ...process.env, PATH: bin, PREBUILDS_ONLY: '1', CC: '/nonexistent/cc', CXX: '/nonexistent/c++' };
for (const tool of ['cc', 'c++', 'g++', 'make', 'python3']) {
  check(spawnSync('sh', ['-c', `PATH=${bin} command -v ${tool}`]).status !== 0, `no ${tool} on the install PATH`);
}
const install = spawnSync(process.execPath, [npmCli, 'install', tarball, '--no-audit', '--no-fund'], {
  cwd: project,
  env: bare,
  encoding: 'utf8',
});
if (install.status !== 0) console.log(install.stdout, install.stderr);
check(install.status === 0, 'npm install of the tarball, without a compiler');
check(!existsSync(join(project, 'node_modules', 'interlocked', 'build')), 'nothing was built on install');

for (const f of ['esm.mjs', 'cjs.cjs', 'unsupported.mjs', 'consumer.ts', 'tsconfig.json']) {
  cpSync(join(root, 'scripts', 'package-consumers', f), join(project, f));
}
const runNode = (file) =>
  spawnSync(process.execPath, [file], { cwd: project, env: bare, encoding: 'utf8', timeout: 60_000 });

// 4. The consumers.
const esm = runNode('esm.mjs');
check(esm.status === 0 && esm.stdout.includes('esm ok'), `ESM consumer${esm.status ? `: ${esm.stderr}` : ''}`);
const cjs = runNode('cjs.cjs');
check(cjs.status === 0 && cjs.stdout.includes('cjs ok'), `CommonJS consumer${cjs.status ? `: ${cjs.stderr}` : ''}`);

// Elsewhere (faked by a preload): the install script builds nothing and exits 0, the package
// imports, and native objects throw ERR_UNSUPPORTED_PLATFORM.
for (const [platform, arch] of [
  ['darwin', 'arm64'],
  ['freebsd', 'x64'],
]) {
  const fake = `data:text/javascript,Object.defineProperty(process,'platform',{value:'${platform}'});Object.defineProperty(process,'arch',{value:'${arch}'})`;
  const script = spawnSync(
    process.execPath,
    ['--import', fake, join(project, 'node_modules', 'interlocked', 'install.cjs')],
    {
      cwd: project,
      env: bare,
      encoding: 'utf8',
    },
  );
  check(
    script.status === 0 && /no native support for/.test(script.stderr),
    `the install script on ${platform}-${arch} builds nothing and succeeds${script.status ? `: ${script.stderr}` : ''}`,
  );
  const use = spawnSync(process.execPath, ['--import', fake, 'unsupported.mjs'], {
    cwd: project,
    env: bare,
    encoding: 'utf8',
  });
  check(
    use.status === 0 && use.stdout.includes('unsupported ok'),
    `on ${platform}-${arch} it imports and throws ERR_UNSUPPORTED_PLATFORM${use.status ? `: ${use.stderr}` : ''}`,
  );
}

// The TypeScript consumer checks against the installed package's .d.ts with this project's
// compiler and Node types.
mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
symlinkSync(join(root, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
  {
    cwd: project,
    encoding: 'utf8',
  },
);
if (tsc.status !== 0) console.log(tsc.stdout, tsc.stderr);
check(tsc.status === 0, 'TypeScript consumer type-checks (module NodeNext)');

// CommonJS consumers (Jest 29, TypeScript node10), one copy per process, types, source maps.
await checkCommonJsConsumers({ root, work, tarball, pkgDir, files, project, env: bare, npmCli, check });
checkPackRefusesMissingPrebuilds({ root, work, check });

// 5. The ESM consumer under Wine with the Windows node.exe and the win32-x64 prebuild.
const windows = runWindowsNode(['esm.mjs'], { cwd: project, log: join(work, 'windows.log') });
if (windows.status !== 0) console.log(windows.output);
check(windows.status === 0 && windows.output.includes('esm ok'), 'ESM consumer under Wine (Windows node.exe)');

// 6. The ESM consumer on linux-arm64: the arm64 node under qemu-user (scripts/arm64.mjs), which must
// load the arm64 prebuild from the installed tarball (read from /proc/self/maps at exit).
const mapsProbe = `data:text/javascript,import{readFileSync}from'node:fs';process.on('exit',()=>console.log('addon',process.arch,(readFileSync('/proc/self/maps','utf8').match(/\\S*prebuilds\\/\\S+\\.node/)||['none'])[0]))`;
const arm64 = runArm64Node(['--import', mapsProbe, 'esm.mjs'], { cwd: project, timeout: 180_000 });
const arm64Addon = join(project, 'node_modules', 'interlocked', 'prebuilds', 'linux-arm64', 'interlocked.glibc.node');
if (arm64.status !== 0) console.log(arm64.output);
check(
  arm64.status === 0 && arm64.output.includes('esm ok') && arm64.output.includes(`addon arm64 ${arm64Addon}`),
  `ESM consumer on linux-arm64 under qemu (the tarball's arm64 prebuild): ${arm64.output.trim().split('\n').pop()}`,
);

console.log(failures.length ? `\n${failures.length} package check(s) failed` : '\nthe package is fine');
process.exit(failures.length ? 1 : 0);
