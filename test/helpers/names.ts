import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { NamedEvent, RwLock, SharedMemory } from 'interlocked';

/** A name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `t-${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Removes every kind of object that may exist under `name` (test cleanup). */
export function unlinkAll(name: string): void {
  RwLock.unlink(name);
  NamedEvent.unlink(name);
  SharedMemory.unlink(name);
}

/** Removes every lock and memory whose name starts with `prefix` (a LockManager's locks and registry). */
export function unlinkPrefix(prefix: string): void {
  // Linux: every object of the prefix; elsewhere the backing objects go with the processes.
  if (!fs.existsSync('/dev/shm')) return;
  for (const file of fs.readdirSync('/dev/shm')) {
    const lock = /^interlock\.lock\.(.*)$/.exec(file)?.[1];
    const mem = /^interlock\.mem\.(.*)$/.exec(file)?.[1];
    if (lock?.startsWith(prefix)) RwLock.unlink(lock);
    if (mem?.startsWith(prefix)) SharedMemory.unlink(mem);
  }
}

export function threadCount(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const match = /^Threads:\s+(\d+)/m.exec(status);
  if (!match) throw new Error('no Threads line in /proc/self/status');
  return Number(match[1]);
}

export function int32View(memory: SharedMemory): Int32Array {
  return new Int32Array(memory.buffer.buffer, memory.buffer.byteOffset, Math.floor(memory.size / 4));
}

export const isWindows = process.platform === 'win32';

/** The backing object of a lock, event or memory as a file: Linux only (/dev/shm). */
export function backingFile(kind: 'lock' | 'event' | 'mem', name: string): string {
  return `/dev/shm/interlock.${kind}.${name}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
