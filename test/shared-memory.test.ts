import test from 'ava';
import { statSync } from 'node:fs';
import { SharedMemory } from 'interlocked';
import { Agent } from './helpers/agent.js';
import { backingFile, isWindows, uniqueName, unlinkAll } from './helpers/names.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('a new segment reads as zeros and is shared with other processes', async (t) => {
  const name = uniqueName('shm');
  t.teardown(() => unlinkAll(name));
  const memory = SharedMemory.open(name, { size: 10_000 });
  t.true(memory.created);
  t.is(memory.size, 10_000);
  t.is(memory.buffer.length, 10_000);
  t.true(memory.buffer.every((b) => b === 0));
  memory.buffer.write('from the parent', 100);
  const script = `
    import { SharedMemory } from 'interlocked';
    const m = SharedMemory.open(${JSON.stringify(name)}, { create: false });
    console.log(JSON.stringify({ created: m.created, size: m.size, text: m.buffer.toString('utf8', 100, 115) }));
    m.buffer.write('from the child', 200);
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd() });
  const seen = JSON.parse(stdout) as { created: boolean; size: number; text: string };
  t.is(seen.created, false);
  t.is(seen.text, 'from the parent');
  // Windows may report an opened mapping's size rounded up to whole pages.
  if (isWindows) t.true(seen.size >= 10_000 && seen.size <= 12_288, `size ${seen.size}`);
  else t.is(seen.size, 10_000);
  t.is(memory.buffer.toString('utf8', 200, 214), 'from the child');
  memory.close();
});

test('create modes, sizes and permissions', (t) => {
  const name = uniqueName('shmopts');
  t.teardown(() => unlinkAll(name));
  t.throws(() => SharedMemory.open(name, { create: false }), { code: 'ERR_NOT_FOUND' });
  t.throws(() => SharedMemory.open(name), { code: 'ERR_NOT_FOUND', message: /give a size to create it/ });
  const a = SharedMemory.open(name, { size: 4096, create: 'exclusive', mode: 0o640 });
  if (!isWindows) t.is(statSync(backingFile('mem', name)).mode & 0o777, 0o640);
  t.throws(() => SharedMemory.open(name, { size: 4096, create: 'exclusive' }), { code: 'ERR_EXISTS' });
  t.throws(() => SharedMemory.open(name, { size: 8192 }), { code: 'ERR_SIZE_MISMATCH' });
  const b = SharedMemory.open(name, { size: 100 });
  t.false(b.created);
  t.is(b.size, 4096, 'an existing segment keeps its size');
  const c = SharedMemory.open(name);
  t.is(c.size, 4096);
  for (const m of [a, b, c]) m.close();
  // POSIX names outlive their users until unlinked; a Windows mapping goes with its last handle.
  t.is(SharedMemory.unlink(name), !isWindows);
  t.false(SharedMemory.unlink(name));
});

test('close() unmaps: every view of the memory becomes empty, and close is idempotent', (t) => {
  const name = uniqueName('shmclose');
  t.teardown(() => unlinkAll(name));
  const memory = SharedMemory.open(name, { size: 4096 });
  const view = memory.buffer;
  view[0] = 42;
  memory.close();
  memory.close();
  t.true(memory.closed);
  t.is(memory.buffer.length, 0);
  t.is(view.length, 0, 'an old Buffer is detached, not dangling');
  t.is(view[0] as number | undefined, undefined);
  const again = SharedMemory.open(name);
  t.is(again.buffer[0], 42, 'the data outlives the handle');
  again.close();
});

test('using disposes the mapping', (t) => {
  const name = uniqueName('shmusing');
  t.teardown(() => unlinkAll(name));
  let outer: SharedMemory;
  {
    using m = SharedMemory.open(name, { size: 64 });
    outer = m;
    t.false(m.closed);
  }
  t.true(outer.closed);
});

test('a process that dies holding a mapping leaves the data for others', async (t) => {
  const name = uniqueName('shmkill');
  t.teardown(() => unlinkAll(name));
  const agent = await Agent.start();
  await agent.call('acquire', { lock: name, mode: 'write', key: 'k', ticket: name });
  // On Windows a mapping lives while a handle is open: hold one before the agent dies.
  const memory = SharedMemory.open(name, { create: false });
  await agent.kill();
  t.is(memory.buffer.readInt32LE(0), 1, 'the ticket the dead process took is still there');
  memory.close();
});
