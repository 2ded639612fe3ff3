// npm run build:arm64: cross-compiles the linux-arm64 (glibc) addon with Debian's aarch64 toolchain
// into prebuilds/linux-arm64/interlocked.glibc.node, the name prebuildify gives the x64 one
// (--napi --tag-libc) and node-gyp-build looks for.
//
// It is binding.gyp's own build (node-gyp --arch=arm64 with the aarch64 compiler), so it has the
// same flags as the x64 prebuild: the static C++ runtime, the export list and the glibc floor's
// wrappers. node-gyp runs in build-arm64/ (binding.gyp copied, src and node_modules linked), so the
// host addon in build/ that the test suite loads stays as it is.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const stage = join(root, 'build-arm64');
const target = join(root, 'prebuilds', 'linux-arm64', 'interlocked.glibc.node');
const triple = process.env.ARM64_TRIPLE ?? 'aarch64-linux-gnu';
const tools = { CC: `${triple}-gcc`, CXX: `${triple}-g++`, LINK: `${triple}-g++`, STRIP: `${triple}-strip` };

for (const tool of Object.values(tools)) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    console.error(`build:arm64 needs ${tool}: apt-get install -y g++-aarch64-linux-gnu`);
    process.exit(1);
  }
}

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
copyFileSync(join(root, 'binding.gyp'), join(stage, 'binding.gyp'));
symlinkSync(join(root, 'src'), join(stage, 'src'));
symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'));

execFileSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--arch=arm64', '--release'], {
  cwd: stage,
  stdio: 'inherit',
  env: { ...process.env, CC: tools.CC, CXX: tools.CXX, LINK: tools.LINK },
});
mkdirSync(dirname(target), { recursive: true });
copyFileSync(join(stage, 'build', 'Release', 'interlocked.node'), target);
execFileSync(tools.STRIP, ['--strip-all', target], { stdio: 'inherit' });
console.log(`built ${target}`);
