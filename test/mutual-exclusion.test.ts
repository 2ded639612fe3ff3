import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NamedEvent, SharedMemory } from 'interlocked';
import { fixturePath } from './helpers/agent.js';
import { uniqueName, unlinkAll } from './helpers/names.js';

const run = promisify(execFile);

test('4 processes x 2000 read-modify-write increments under write() lose no update', async (t) => {
  const name = uniqueName('mutex');
  const processes = 4;
  const iterations = 2000;
  t.teardown(() => unlinkAll(name));
  const memory = SharedMemory.open(name, { size: 4096 });
  const children = Array.from({ length: processes }, () =>
    run(process.execPath, [fixturePath('increment'), name, name, String(iterations)], { timeout: 80_000 }),
  );
  const go = NamedEvent.open(name);
  const words = new Int32Array(memory.buffer.buffer, memory.buffer.byteOffset, 4);
  while (Atomics.load(words, 2) < processes) await new Promise((r) => setTimeout(r, 5));
  go.set();
  const results = (await Promise.all(children)).map((r) => JSON.parse(r.stdout) as { overlaps: number; ms: number });
  t.log(`ms per process: ${results.map((r) => r.ms.toFixed(0)).join(', ')}`);
  go.close();
  t.deepEqual(
    results.map((r) => r.overlaps),
    [0, 0, 0, 0],
  );
  t.is(memory.buffer.readUInt32LE(0), processes * iterations);
  memory.close();
});
