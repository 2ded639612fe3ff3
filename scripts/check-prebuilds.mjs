// The package's prepack hook: `npm pack` and `npm publish` refuse to make a tarball that lacks any
// of the three prebuilds, or holds one built for the wrong machine (a linux-arm64 folder with an
// x86-64 binary in it loads nowhere). `npm run prebuildify` makes all three.
//
//   node scripts/check-prebuilds.mjs [--dir <package root>]
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
// npm runs prepack in the root of the package it packs.
const root = resolve(args.includes('--dir') ? args[args.indexOf('--dir') + 1] : process.cwd());

/** The prebuilds a published package must carry: where node-gyp-build looks, and what machine. */
export const PREBUILDS = [
  { file: 'prebuilds/linux-x64/interlocked.glibc.node', format: 'elf', machine: 62, label: 'ELF x86-64' },
  { file: 'prebuilds/linux-arm64/interlocked.glibc.node', format: 'elf', machine: 183, label: 'ELF AArch64' },
  { file: 'prebuilds/win32-x64/interlocked.napi.node', format: 'pe', machine: 0x8664, label: 'PE x86-64' },
];

function head(path, bytes) {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const n = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** What machine a binary is for, or why it is no binary of the expected format. */
function machineOf(path, format) {
  const b = head(path, 4096);
  if (format === 'elf') {
    if (b.length < 20 || b.readUInt32BE(0) !== 0x7f454c46) return { error: 'not an ELF file' };
    if (b[4] !== 2) return { error: 'not a 64-bit ELF file' };
    return { machine: b.readUInt16LE(18) };
  }
  if (b.length < 0x40 || b.toString('latin1', 0, 2) !== 'MZ') return { error: 'not a PE file' };
  const pe = b.readUInt32LE(0x3c);
  if (pe + 6 > b.length || b.toString('latin1', pe, pe + 4) !== 'PE\0\0') return { error: 'not a PE file' };
  return { machine: b.readUInt16LE(pe + 4) };
}

export function checkPrebuilds(dir) {
  const problems = [];
  for (const p of PREBUILDS) {
    const path = join(dir, p.file);
    if (!existsSync(path) || !statSync(path).isFile()) {
      problems.push(`${p.file} is missing`);
      continue;
    }
    const found = machineOf(path, p.format);
    if (found.error) problems.push(`${p.file} is ${found.error}`);
    else if (found.machine !== p.machine) {
      problems.push(`${p.file} is built for machine 0x${found.machine.toString(16)}, not ${p.label}`);
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = checkPrebuilds(root);
  if (problems.length > 0 && process.env.INTERLOCKED_PACK_WITHOUT_PREBUILDS === '1') {
    // A git dependency is packed from its clone: there the addon builds from source at install.
    console.warn(
      `interlocked: packing without every prebuild (INTERLOCKED_PACK_WITHOUT_PREBUILDS=1):\n  ${problems.join('\n  ')}`,
    );
  } else if (problems.length > 0) {
    console.error(`interlocked: refusing to pack without every prebuild:\n  ${problems.join('\n  ')}`);
    console.error('Run `npm run prebuildify` (it cross-builds linux-arm64 and win32-x64 too) and pack again.');
    process.exit(1);
  } else {
    console.error(`prebuilds ok: ${PREBUILDS.map((p) => p.file).join(', ')}`);
  }
}
