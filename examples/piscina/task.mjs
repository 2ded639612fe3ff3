// The Worker side: each task runs with the named lock held in the mode the caller asked for and
// the named shared memory mapped (both opened once per Worker and cached).
import { lockedTask } from 'interlocked/piscina';

export default lockedTask(async ({ data, memory, mode }) => {
  const counters = new Int32Array(memory.buffer.buffer, memory.buffer.byteOffset, 2);
  if (mode === 'write') {
    const before = counters[0];
    await new Promise((r) => setTimeout(r, 1)); // a read-modify-write across an await: safe under the lock
    counters[0] = before + data.add;
    return counters[0];
  }
  return counters[0];
});
