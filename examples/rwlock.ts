// RwLock with `await using`: two processes update one JSON state in shared memory without losing
// a write. TypeScript (`await using` needs it on Node 20): `npm run build:examples`, then
// `node dist-examples/rwlock.js` (it starts its second process itself).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { RwLock, SharedMemory } from 'interlocked';

const name = process.argv[2] ?? `example-state-${process.pid}`;
const lock = RwLock.open(name);
const memory = SharedMemory.open(name, { size: 4096 });

async function increment(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await using guard = await lock.write({ timeout: 5000 }); // released at the end of each turn
    const text = memory.buffer.toString('utf8', 0, memory.buffer.indexOf(0)) || '{"count":0}';
    const state = JSON.parse(text) as { count: number };
    state.count++;
    memory.buffer.fill(0).write(JSON.stringify(state));
  }
}

if (process.argv[2]) {
  await increment(500); // the second process
} else {
  const other = fork(new URL(import.meta.url), [name]);
  await Promise.all([increment(500), once(other, 'exit')]);
  const state = await lock.withRead(
    () => JSON.parse(memory.buffer.toString('utf8', 0, memory.buffer.indexOf(0))) as { count: number },
  );
  console.log(`count = ${state.count} (expected 1000)`);
  RwLock.unlink(name);
  SharedMemory.unlink(name);
  if (state.count !== 1000) process.exit(1);
}
lock.close();
memory.close();
