// A TypeScript consumer (module NodeNext, strict, exactOptionalPropertyTypes): the package's types
// must resolve, be precise, accept what callers pass on and refuse misuse. Type-checked only.
import {
  LockManager,
  NamedEvent,
  RwLock,
  SharedMemory,
  type LockGuard,
  type LockInfo,
  type InterlockErrorCode,
} from 'interlocked';
import { openLock, openMemory, runLocked, type LockedTaskInput } from 'interlocked/piscina';

// Options as callers pass them on: an optional value may be undefined (exactOptionalPropertyTypes).
export async function pass(timeout?: number, signal?: AbortSignal, size?: number, prefix?: string): Promise<void> {
  const lock = RwLock.open('typed', { maxProcesses: undefined, scope: undefined, mode: undefined });
  (await lock.write({ timeout, signal })).release();
  await lock.withRead(() => 1, { timeout });
  SharedMemory.open('typed', { size, create: undefined }).close();
  await NamedEvent.open('typed', { manualReset: undefined }).wait({ timeout });
  await new LockManager({ prefix }).request('x', { mode: undefined, ifAvailable: undefined, timeout }, () => 1);
  const look: LockInfo | null = RwLock.peek('typed');
  void look;
  // (Only type-checked: these two are for the inside of a Piscina task.)
  const inTask = (scope?: 'local' | 'global') => [
    openLock('typed', { scope, maxProcesses: undefined }),
    openMemory('typed', { size, create: undefined, scope }),
  ];
  void inTask;
  // @ts-expect-error: internal members are not part of the published types
  const input: LockedTaskInput<number> = { lock: 'typed', mode: 'read', data: 1, control: new Int32Array(1) };
  void input;
}

export async function use(): Promise<number> {
  const lock = RwLock.open('typed', { maxProcesses: 8 });
  const guard: LockGuard = await lock.write({ timeout: 1000 });
  const mode: 'read' | 'write' = guard.mode;
  const info: LockInfo = lock.inspect();
  const code: InterlockErrorCode = 'ERR_LOCK_TIMEOUT';
  // @ts-expect-error: write() takes options, not a string
  await lock.write('soon');
  // @ts-expect-error: no such option
  RwLock.open('typed', { maxProcess: 8 });
  {
    using scoped = lock.tryRead();
    void scoped;
  }
  guard.release();
  const memory = SharedMemory.open('typed', { size: 16 });
  const length: number = memory.buffer.length;
  void runLocked;
  return info.processes + length + mode.length + code.length;
}
