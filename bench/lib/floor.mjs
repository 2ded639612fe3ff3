// Compiles bench/floor.c (a process-shared pthread_rwlock, the C floor) once per run and runs it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
const source = join(benchDir, 'floor.c');
const binary = join(benchDir, '.build', 'floor');

export function buildFloor() {
  mkdirSync(dirname(binary), { recursive: true });
  let fresh = false;
  try {
    fresh = statSync(binary).mtimeMs >= statSync(source).mtimeMs;
  } catch {}
  if (!fresh) {
    const cc = process.env.CC ?? 'cc';
    execFileSync(cc, ['-O2', '-pthread', '-Wall', '-Wextra', '-o', binary, source], { stdio: 'inherit' });
  }
  const compiler = execFileSync(process.env.CC ?? 'cc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  return { binary, compiler };
}

export function runFloor(...args) {
  const out = execFileSync(binary, args.map(String), { encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out);
}
