// Part of npm run test:package (scripts/test-package.mjs): the checks for CommonJS consumers and
// for what the tarball's types and source maps claim.
//
// - source maps: every .map in the tarball embeds each of its sources or points at shipped files,
//   and every sourceMappingURL names a shipped map;
// - types: @arethetypeswrong/cli on the tarball reports no problem under node10, node16 (from CJS
//   and from ESM) and bundler resolution;
// - one copy per process: in the installed package, require() and import() give the same objects;
// - the CLI bin runs;
// - a real Jest 29 project (default configuration) whose CommonJS test uses a lock and shared memory;
// - a TypeScript 5.4 CommonJS project (moduleResolution node10, strict, exactOptionalPropertyTypes)
//   that imports interlocked and interlocked/piscina, type-checks, compiles and runs.
//
// The tools come from the npm registry at test time, each into a fresh project of its own.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';

const JEST = 'jest@29';
const TYPESCRIPT = 'typescript@5.4';
const ATTW = '@arethetypeswrong/cli@0.18';

/**
 * @param {object} o
 * @param {string} o.root the repository
 * @param {string} o.work a scratch directory
 * @param {string} o.tarball the packed package
 * @param {string} o.pkgDir the tarball, unpacked
 * @param {string[]} o.files the tarball's files
 * @param {string} o.project a consumer project where the tarball is installed
 * @param {NodeJS.ProcessEnv} o.env the environment for installs and runs (no compiler on PATH)
 * @param {string} o.npmCli npm's CLI script
 * @param {(ok: boolean, what: string) => void} o.check
 */
export async function checkCommonJsConsumers({ root, work, tarball, pkgDir, files, project, env, npmCli, check }) {
  const started = Date.now();
  const consumers = join(root, 'scripts', 'package-consumers');
  checkSourceMaps(pkgDir, files, check);

  // The installs go first, side by side: they are most of the time these checks take.
  const attwDir = newProject(work, 'attw');
  const jestDir = newProject(work, 'jest', join(consumers, 'jest'));
  const node10Dir = newProject(work, 'node10', join(consumers, 'node10'));
  const npm = (cwd, args) => run(process.execPath, [npmCli, ...args, '--no-audit', '--no-fund'], { cwd, env });
  const installs = await Promise.all([
    npm(attwDir, ['install', ATTW]),
    npm(jestDir, ['install', tarball, JEST]),
    npm(node10Dir, ['install', tarball, TYPESCRIPT]),
  ]);
  for (const [what, r] of [
    [ATTW, installs[0]],
    [`the tarball and ${JEST}`, installs[1]],
    [`the tarball and ${TYPESCRIPT}`, installs[2]],
  ]) {
    if (r.status !== 0) console.log(r.output);
    check(r.status === 0, `npm install of ${what} in a fresh project`);
  }

  const attw = spawnSync(
    process.execPath,
    [join(attwDir, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), tarball, '--format', 'ascii'],
    { cwd: attwDir, env, encoding: 'utf8' },
  );
  if (attw.status !== 0) console.log(attw.stdout, attw.stderr);
  check(
    attw.status === 0 && /No problems found/.test(attw.stdout),
    'arethetypeswrong: no problems in any resolution mode',
  );

  cpSync(join(consumers, 'single-copy.cjs'), join(project, 'single-copy.cjs'));
  const single = spawnSync(process.execPath, ['single-copy.cjs'], {
    cwd: project,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  check(
    single.status === 0 && single.stdout.includes('single copy ok'),
    `one copy per process: require() and import() give the same objects${single.status ? `: ${single.stderr}` : ''}`,
  );

  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const cli = spawnSync(join(project, 'node_modules', '.bin', 'interlocked'), ['--version'], { env, encoding: 'utf8' });
  check(
    cli.status === 0 && cli.stdout.trim() === version,
    `the interlocked bin runs${cli.status ? `: ${cli.stderr}` : ''}`,
  );

  const jest = await npm(jestDir, ['test']);
  if (jest.status !== 0) console.log(jest.output);
  check(
    jest.status === 0 && /Tests:\s+3 passed, 3 total/.test(jest.output),
    `a Jest 29 test (CommonJS, default config)`,
  );

  // The project's own @types/node, as the TypeScript consumer of scripts/test-package.mjs does.
  mkdirSync(join(node10Dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(node10Dir, 'node_modules', '@types', 'node'));
  const tsc = spawnSync(process.execPath, [join(node10Dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
    cwd: node10Dir,
    env,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) console.log(tsc.stdout, tsc.stderr);
  const tsVersion = JSON.parse(
    readFileSync(join(node10Dir, 'node_modules', 'typescript', 'package.json'), 'utf8'),
  ).version;
  check(tsc.status === 0, `TypeScript ${tsVersion} CommonJS consumer type-checks (moduleResolution node10)`);
  const node10 = spawnSync(process.execPath, [join('out', 'consumer.js')], {
    cwd: node10Dir,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  check(
    node10.status === 0 && node10.stdout.includes('node10 ok'),
    `the compiled node10 consumer runs${node10.status ? `: ${node10.stderr}` : ''}`,
  );
  console.log(`(the CommonJS consumer checks took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

/** A map must embed its sources or point at files in the tarball; a sourceMappingURL at a shipped map. */
function checkSourceMaps(pkgDir, files, check) {
  const shipped = new Set(files);
  const bad = [];
  // Source maps are JavaScript's and declarations' (src/native/platform/linux_exports.map is a linker
  // version script).
  const maps = files.filter((f) => /\.(m?js|d\.m?ts)\.map$/.test(f));
  for (const file of maps) {
    const map = JSON.parse(readFileSync(join(pkgDir, file), 'utf8'));
    map.sources.forEach((source, i) => {
      if (typeof map.sourcesContent?.[i] === 'string') return;
      const resolved = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
      if (!shipped.has(resolved)) bad.push(`${file} -> ${source}`);
    });
  }
  for (const file of files.filter((f) => /\.(c|m)?js$|\.d\.(c|m)?ts$/.test(f))) {
    const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(pkgDir, file), 'utf8'))?.[1];
    if (url === undefined || url.startsWith('data:')) continue;
    const resolved = posix.normalize(posix.join(posix.dirname(file), url));
    if (!shipped.has(resolved)) bad.push(`${file} -> ${url}`);
  }
  check(
    maps.length > 0 && bad.length === 0,
    `${maps.length} source maps: each embeds its sources or points at shipped files${bad.length ? `: ${bad.join(', ')}` : ''}`,
  );
}

/** A fresh project: a copy of `from`, or a bare package.json for a tool. */
function newProject(work, name, from) {
  const dir = join(work, `consumer-${name}`);
  mkdirSync(dir);
  if (from) cpSync(from, dir, { recursive: true });
  else writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true }, null, 2)}\n`);
  return dir;
}

/** spawn, resolving with the status and the output (stdout and stderr interleaved). */
function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (error) => resolve({ status: -1, output: `${output}${error.message}` }));
    child.on('close', (status) => resolve({ status, output }));
  });
}
