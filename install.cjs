// The package's install script. On a platform the addon is built for (Linux with glibc on x64 and
// arm64, Windows on x64) it runs node-gyp-build: the prebuilt binary is used, and only where none
// matches is the addon compiled from the sources in the package. Anywhere else it builds nothing
// (the sources have no code for that system, and a build would only make a binary that fails at
// load): the package still installs and imports, and using a native object throws
// ERR_UNSUPPORTED_PLATFORM. (src/platform-support.ts makes the same decision at run time.)
'use strict';
const { spawnSync } = require('node:child_process');

const { platform, arch } = process;
const glibc = platform !== 'linux' || typeof process.report?.getReport()?.header?.glibcVersionRuntime === 'string';
const supported =
  (platform === 'linux' && (arch === 'x64' || arch === 'arm64') && glibc) || (platform === 'win32' && arch === 'x64');

if (!supported) {
  const target = `${platform}-${arch}${platform === 'linux' ? (glibc ? ' (glibc)' : ' (musl)') : ''}`;
  console.warn(
    `interlocked: no native support for ${target}: nothing to build. The package imports and its ` +
      'pure-JavaScript parts work; its locks, events and shared memory throw ERR_UNSUPPORTED_PLATFORM.',
  );
  process.exit(0);
}
const run = spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
