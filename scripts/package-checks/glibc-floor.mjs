// The glibc floor of the Linux prebuilds (issue 13): each prebuilds/linux-*/*.node must load on
// glibc 2.28 (RHEL/Rocky 8, Debian 10, Ubuntu 20.04) and later. Reads the binary's dynamic symbol
// table with `objdump -T` (the aarch64 binutils for an arm64 binary) and reports
//   - any GLIBC_x.y needed above the floor,
//   - any need at all of the C++ runtime's or libgcc_s' versions (GLIBCXX_, CXXABI_, GCC_): both are
//     linked in statically, so the binary needs no libstdc++.so.6 / libgcc_s.so.1 of any age,
//   - any C++ runtime symbol the binary exports: its static copy of libstdc++ must stay private, so
//     it never interposes on the one node itself uses.
// Usage: checkGlibcFloor(root, check) with test-package.mjs's check(ok, what); or run this file
// (node scripts/package-checks/glibc-floor.mjs [file.node ...]) to check some binaries by hand.
import { execFileSync } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GLIBC_FLOOR = '2.28';

// ELF e_machine -> the objdump that reads it (Debian's x86-64 binutils does not know aarch64).
const OBJDUMP = { 62: 'objdump', 183: 'aarch64-linux-gnu-objdump' };

function elfMachine(file) {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
  return header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
}

const versionLess = (a, b) => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0);
  }
  return false;
};

// Mangled names of the C++ runtime (std::, __gnu_cxx::, __cxxabiv1:: and their typeinfo/vtables)
// and the C names of the C++ ABI and the unwinder.
const RUNTIME_EXPORT =
  /^(_Z(T[ISVT])?N?K?(St|9__gnu_cxx|10__cxxabiv1)|_ZGVNSt|__cxa_|__gxx_|_Unwind_|__gcc_personality|__libc_single_threaded$)/;

/**
 * Reads one binary's dynamic symbols: returns { objdump, highestGlibc, tooNew, runtimeNeeds,
 * runtimeExports, undefinedCount } where tooNew lists "symbol@GLIBC_x.y" above the floor.
 */
export function inspectBinary(file, floor = GLIBC_FLOOR) {
  const machine = elfMachine(file);
  const objdump = OBJDUMP[machine];
  if (!objdump) throw new Error(`${file}: ELF machine ${machine} has no objdump configured here`);
  const text = execFileSync(objdump, ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  // A line: address, flags, section, size, version (in parentheses when hidden), name.
  const line = /^[0-9a-f]+\s.{7}\s(\S+)\s+[0-9a-f]+\s+(?:\((\S+)\)|(\S+))?\s+(\S+)$/;
  let highestGlibc = null;
  let undefinedCount = 0;
  const tooNew = [];
  const runtimeNeeds = [];
  const runtimeExports = [];
  for (const raw of text.split('\n')) {
    const m = line.exec(raw.trimEnd());
    if (!m) continue;
    const [, section, hiddenVersion, shownVersion, name] = m;
    const version = hiddenVersion ?? shownVersion ?? '';
    const undefinedSymbol = section === '*UND*';
    if (undefinedSymbol) undefinedCount++;
    const glibc = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(version);
    if (glibc) {
      if (highestGlibc === null || versionLess(highestGlibc, glibc[1])) highestGlibc = glibc[1];
      if (versionLess(floor, glibc[1])) tooNew.push(`${name}@${version}`);
    } else if (/^(GLIBCXX|CXXABI|GCC)_/.test(version)) {
      runtimeNeeds.push(`${name}@${version}`);
    }
    if (!undefinedSymbol && RUNTIME_EXPORT.test(name)) runtimeExports.push(name);
  }
  // The version needs themselves (objdump -p), in case one names no symbol in the table.
  const needs = execFileSync(objdump, ['-p', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  for (const m of needs.matchAll(/^\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+\d+\s+(\S+)$/gm)) {
    const glibc = /^GLIBC_(\d+(?:\.\d+)+)$/.exec(m[1]);
    if (glibc && versionLess(floor, glibc[1]) && !tooNew.some((s) => s.endsWith(`@${m[1]}`))) {
      tooNew.push(`(version need) ${m[1]}`);
    }
    if (/^(GLIBCXX|CXXABI|GCC)_/.test(m[1]) && !runtimeNeeds.some((s) => s.endsWith(`@${m[1]}`))) {
      runtimeNeeds.push(`(version need) ${m[1]}`);
    }
  }
  return { objdump, highestGlibc, tooNew, runtimeNeeds, runtimeExports, undefinedCount };
}

const list = (items) =>
  items.length > 6 ? `${items.slice(0, 6).join(', ')} and ${items.length - 6} more` : items.join(', ');

/** Every Linux prebuild under root/prebuilds. */
export function linuxPrebuilds(root) {
  const dir = join(root, 'prebuilds');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => d.startsWith('linux-'))
    .flatMap((d) =>
      readdirSync(join(dir, d))
        .filter((f) => f.endsWith('.node'))
        .map((f) => join(dir, d, f)),
    )
    .sort();
}

/** Runs the checks on `files` (default: every Linux prebuild) through check(ok, what). */
export function checkGlibcFloor(root, check, files = linuxPrebuilds(root)) {
  check(files.length > 0, 'there are Linux prebuilds to check the glibc floor of');
  for (const file of files) {
    const what = relative(root, file) || file;
    let r;
    try {
      r = inspectBinary(file);
    } catch (error) {
      check(false, `${what}: cannot read its dynamic symbols: ${error.message}`);
      continue;
    }
    // A table that shows no libc need at all was misread, not clean.
    check(
      r.highestGlibc !== null && r.undefinedCount > 0,
      `${what}: ${r.objdump} -T shows its glibc needs (highest GLIBC_${r.highestGlibc})`,
    );
    check(
      r.tooNew.length === 0,
      `${what}: needs nothing above GLIBC_${GLIBC_FLOOR}${r.tooNew.length ? `: ${list(r.tooNew)}` : ''}`,
    );
    check(
      r.runtimeNeeds.length === 0,
      `${what}: needs no GLIBCXX_/CXXABI_/GCC_ version (C++ runtime linked in)${r.runtimeNeeds.length ? `: ${list(r.runtimeNeeds)}` : ''}`,
    );
    check(
      r.runtimeExports.length === 0,
      `${what}: exports no C++ runtime symbol${r.runtimeExports.length ? `: ${list(r.runtimeExports)}` : ''}`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
  let failed = 0;
  const check = (ok, what) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed++;
  };
  const files = process.argv.slice(2).map((f) => resolve(f));
  checkGlibcFloor(root, check, files.length ? files : undefined);
  process.exit(failed ? 1 : 0);
}
