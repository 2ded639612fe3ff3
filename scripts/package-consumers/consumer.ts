// A TypeScript consumer (module NodeNext): the package's types must resolve, be precise and refuse
// misuse. Type-checked only.
import { RwLock, SharedMemory, type LockGuard, type LockInfo, type InterlockErrorCode } from 'interlocked';
import { runLocked } from 'interlocked/piscina';

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
