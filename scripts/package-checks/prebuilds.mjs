// Part of npm run test:package (scripts/test-package.mjs): `npm pack` refuses a tarball that lacks
// a prebuild or holds one for the wrong machine. Packs a scratch package whose prepack hook is the
// real scripts/check-prebuilds.mjs: once with all three prebuilds (copied from the repository), once
// with each one missing, once with the x86-64 binary in the arm64 folder.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PREBUILDS } from '../check-prebuilds.mjs';

/**
 * @param {object} o
 * @param {string} o.root the repository (its prebuilds/ made by npm run prebuildify)
 * @param {string} o.work a scratch directory
 * @param {(ok: boolean, what: string) => void} o.check
 */
export function checkPackRefusesMissingPrebuilds({ root, work, check }) {
  const dir = join(work, 'pack-refusal');
  const hook = join(root, 'scripts', 'check-prebuilds.mjs');
  const place = (from, to) => {
    mkdirSync(dirname(join(dir, to)), { recursive: true });
    copyFileSync(join(root, from), join(dir, to));
  };
  const pack = () => {
    const env = { ...process.env };
    delete env.INTERLOCKED_PACK_WITHOUT_PREBUILDS;
    return spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8', env });
  };
  const reset = () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'pack-refusal',
        version: '1.0.0',
        files: ['prebuilds'],
        scripts: { prepack: `node ${JSON.stringify(hook)}` },
      }),
    );
  };

  reset();
  for (const p of PREBUILDS) place(p.file, p.file);
  const all = pack();
  check(all.status === 0, `npm pack with all three prebuilds succeeds${all.status === 0 ? '' : `: ${all.stderr}`}`);
  for (const missing of PREBUILDS) {
    reset();
    for (const p of PREBUILDS) if (p !== missing) place(p.file, p.file);
    const r = pack();
    check(
      r.status !== 0 && r.stderr.includes(`${missing.file} is missing`),
      `npm pack refuses without ${missing.file}`,
    );
  }
  reset();
  const [x64, arm64, win] = PREBUILDS;
  place(x64.file, x64.file);
  place(x64.file, arm64.file);
  place(win.file, win.file);
  const wrong = pack();
  check(
    wrong.status !== 0 && wrong.stderr.includes(`${arm64.file} is built for machine 0x3e, not ELF AArch64`),
    'npm pack refuses an x86-64 binary in the linux-arm64 folder',
  );
}
