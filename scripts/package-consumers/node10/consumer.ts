// A CommonJS TypeScript consumer (TypeScript 5.4, module CommonJS, moduleResolution node10, strict,
// exactOptionalPropertyTypes): node10 knows no "exports", so the types come from "types" and
// "typesVersions". Compiled to require() calls and run. Prints "node10 ok".
import assert = require('node:assert/strict');
import { InterlockError, LockManager, RwLock, SharedMemory, locks, type LockGuard, type LockInfo } from 'interlocked';
import { lockedTask, runLocked, type LockedTaskSpec } from 'interlocked/piscina';

async function main(timeout?: number): Promise<void> {
  assert.equal(typeof runLocked, 'function');
  assert.equal(typeof lockedTask, 'function');
  assert.ok(locks instanceof LockManager);
  const name = `pkg-node10-${process.pid}`;
  const spec: LockedTaskSpec<number> = { lock: name, mode: 'write', data: 1, timeout };
  void spec;

  const lock = RwLock.open(name, { maxProcesses: undefined });
  const guard: LockGuard = await lock.write({ timeout });
  const other = RwLock.open(name);
  assert.equal(other.tryWrite(), null, 'a held lock is contended from another handle');
  const info: LockInfo = lock.inspect();
  assert.equal(info.writer?.pid, process.pid);
  guard.release();
  other.tryWrite()!.release();
  other.close();
  lock.close();
  RwLock.unlink(name);

  const memory = SharedMemory.open(name, { size: 64, create: undefined });
  memory.buffer.write('node10', 0);
  assert.equal(SharedMemory.open(name).buffer.toString('utf8', 0, 6), 'node10');
  memory.close();
  SharedMemory.unlink(name);

  assert.throws(() => RwLock.open('no spaces'), InterlockError);
  console.log('node10 ok');
}

// Type-checked, never run: the types refuse misuse.
export function misuse(lock: RwLock): void {
  // @ts-expect-error: write() takes options, not a string
  void lock.write('soon');
  // @ts-expect-error: no such option
  RwLock.open('typed', { maxProcess: 8 });
}

void main(1000);
