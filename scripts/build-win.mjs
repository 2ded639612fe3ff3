// npm run build:win: cross-compiles the win32-x64 addon with MinGW-w64 (posix threads, static C++
// runtime) into prebuilds/win32-x64/interlocked.napi.node, where node-gyp-build finds it.
//
// The sources and defines come from binding.gyp (its common part plus the OS=='win' condition). The
// Node-API imports are bound to node.exe through a delay-load import library made from
// node-api-headers' .def files; src/native/platform/win32_delay_load_hook.cc resolves them from the
// running executable, so a renamed host or an embedder that exports Node-API works too.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = join(root, 'build-win');
const target = join(root, 'prebuilds', 'win32-x64', 'interlocked.napi.node');
const cxx = process.env.MINGW_CXX ?? 'x86_64-w64-mingw32-g++-posix';
const dlltool = process.env.MINGW_DLLTOOL ?? 'x86_64-w64-mingw32-dlltool';

for (const tool of [cxx, dlltool]) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    console.error(`build:win needs ${tool}: apt-get install -y mingw-w64`);
    process.exit(1);
  }
}

const gyp = JSON.parse(readFileSync(join(root, 'binding.gyp'), 'utf8')).targets[0];
const windows = gyp.conditions.find(([cond]) => cond === "OS=='win'")[1];
const sources = [...gyp.sources, ...windows.sources];
const defines = [...gyp.defines, ...windows.defines].map((d) => `-D${d}`);

// 1. The import library: both .def files under one NAME/EXPORTS header, delay-loaded.
const headers = dirname(require.resolve('node-api-headers/package.json'));
const symbols = ['def/js_native_api.def', 'def/node_api.def']
  .flatMap((f) => readFileSync(join(headers, f), 'utf8').split(/\r?\n/))
  .map((l) => l.trim())
  .filter((l) => l && !/^(NAME|EXPORTS|LIBRARY)\b/.test(l));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'node.def'), ['NAME node.exe', 'EXPORTS', ...symbols, ''].join('\n'));
execFileSync(dlltool, ['-d', join(out, 'node.def'), '-y', join(out, 'libnode_delay.a'), '-D', 'node.exe'], {
  stdio: 'inherit',
});

// 2. Compile every source (in parallel), then link statically.
const includes = [
  `-I${join(headers, 'include')}`,
  `-I${require('node-addon-api').include_dir}`,
  `-I${join(root, 'src', 'native')}`,
];
const flags = ['-O2', '-std=c++17', '-Wall', '-Wextra', '-Werror', '-fexceptions', ...defines, ...includes];

function compile(source) {
  const object = join(out, source.replace(/[\\/]/g, '_').replace(/\.cc$/, '.o'));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cxx, [...flags, '-c', join(root, source), '-o', object], { stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolvePromise(object) : reject(new Error(`${source}: exit ${code}`))));
  });
}

const objects = [];
const queue = [...sources];
await Promise.all(
  Array.from({ length: Math.max(1, availableParallelism()) }, async () => {
    while (queue.length) objects.push(await compile(queue.shift()));
  }),
);
mkdirSync(dirname(target), { recursive: true });
execFileSync(
  cxx,
  [
    '-shared',
    '-s',
    '-o',
    target,
    ...objects,
    join(out, 'libnode_delay.a'),
    '-ldelayimp',
    '-static',
    '-static-libgcc',
    '-static-libstdc++',
  ],
  { stdio: 'inherit' },
);
console.log(`built ${target}${existsSync(target) ? '' : ' (missing?)'}`);
