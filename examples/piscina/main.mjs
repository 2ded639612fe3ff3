// interlocked/piscina: a Piscina pool whose tasks run under a named lock with shared memory mapped.
// Run: node examples/piscina/main.mjs
import { Piscina } from 'piscina';
import { RwLock, SharedMemory } from 'interlocked';
import { runLocked } from 'interlocked/piscina';

const name = `example-pool-${process.pid}`;
// Held open here for the whole run: on Windows a named mapping lives only while someone has it open,
// and the pool's Workers come and go.
const memory = SharedMemory.open(name, { size: 4096 });
const pool = new Piscina({ filename: new URL('./task.mjs', import.meta.url).href, maxThreads: 4 });
const spec = (mode, add = 0) => ({ lock: name, mode, memory: { name, size: 4096 }, data: { add }, timeout: 5000 });

// 40 writers add 1..40 under the write lock; readers in between share the read lock.
const runs = [];
for (let i = 1; i <= 40; i++) {
  runs.push(runLocked(pool, spec('write', i)));
  runs.push(runLocked(pool, spec('read')));
}
await Promise.all(runs);
const total = await runLocked(pool, spec('read'));
console.log(`total = ${total} (expected ${(40 * 41) / 2})`);

// An abort reaches the lock wait inside the Worker: while this process holds the write lock the
// task waits for it in its Worker; the abort ends that wait, and nothing stays held or queued.
const lock = RwLock.open(name);
const held = await lock.write();
const controller = new AbortController();
const blocked = runLocked(pool, spec('write', 1000), { signal: controller.signal });
while (lock.inspect().waiting.writers === 0) await new Promise((r) => setTimeout(r, 5));
controller.abort();
const outcome = await blocked.then(
  () => 'ran',
  (e) => e.name,
);
held.release();
const { waiting, writer } = lock.inspect();
console.log(
  `aborted task: ${outcome}; afterwards ${waiting.writers} waiting, writer ${writer === null ? 'none' : writer.pid}`,
);
lock.close();
await pool.destroy();
memory.close();
SharedMemory.unlink(name);
RwLock.unlink(name);
if (total !== (40 * 41) / 2) process.exit(1);
