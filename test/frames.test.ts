// The seed's scenario on the seed's terms: one writer process and three reader processes exchange
// frames in shared memory under the lock, and no reader ever sees a torn frame. The two runs are
// serial: eight busy processes on a small machine would measure the scheduler, not the lock.
import test from 'ava';
import { NamedEvent, SharedMemory } from 'interlocked';
import { runFixture } from './faults/helpers.js';
import { sleep, uniqueName, unlinkAll } from './helpers/names.js';

async function exchange(locked: boolean, frames: number) {
  const name = uniqueName(locked ? 'frames' : 'unguarded');
  const size = 4096;
  const memory = SharedMemory.open(name, { size: 16 + size + 64 });
  const control = new Int32Array(memory.buffer.buffer, memory.buffer.byteOffset + 16 + size + 16, 4);
  const go = NamedEvent.open(`${name}-go`);
  const args = (role: string) => [role, name, name, String(frames), String(size), locked ? '1' : '0'];
  const runs = [runFixture('frames', args('writer')), ...[1, 2, 3].map(() => runFixture('frames', args('reader')))];
  while (Atomics.load(control, 0) < 4) await sleep(5);
  go.set();
  const results = await Promise.all(runs);
  go.close();
  memory.close();
  unlinkAll(name);
  unlinkAll(`${name}-go`);
  return results.map((r) => {
    if (r.code !== 0) throw new Error(`frames process ended with ${r.code ?? r.signal}`);
    return JSON.parse(r.stdout) as { role: string; seen?: number; distinct?: number; torn?: number };
  });
}

test.serial('one writer, three readers: every frame a reader sees is whole', async (t) => {
  const [writer, ...readers] = await exchange(true, 400);
  t.is(writer!.role, 'writer');
  for (const r of readers) {
    t.log(`reader: ${r.seen} reads, ${r.distinct} distinct frames, ${r.torn} torn`);
    t.is(r.torn, 0);
    t.true(r.distinct! >= 20, `readers saw the frames change (${r.distinct} of 400)`);
  }
});

test.serial('control: without the lock the same readers do catch torn frames (the check can fail)', async (t) => {
  const [, ...readers] = await exchange(false, 400);
  const torn = readers.reduce((sum, r) => sum + r.torn!, 0);
  t.log(`unguarded: ${torn} torn frames seen by 3 readers`);
  t.true(torn > 0);
});
