import test from 'ava';
import { RwLock, SharedMemory } from 'interlocked';
import { Agent, startAgents } from './helpers/agent.js';
import { int32View, sleep, uniqueName, unlinkAll } from './helpers/names.js';

test('readers in different processes hold the lock at the same time', async (t) => {
  const name = uniqueName('overlap');
  t.teardown(() => unlinkAll(name));
  const agents = await startAgents(3);
  t.teardown(() => Promise.all(agents.map((a) => a.stop())));
  for (const [i, a] of agents.entries())
    await a.call('acquire', { lock: name, mode: 'read', key: `r${i}`, timeout: 2000 });
  const lock = RwLock.open(name);
  const info = lock.inspect();
  t.is(info.readers.length, 3);
  t.deepEqual(info.readers.map((r) => r.pid).sort(), agents.map((a) => a.pid).sort());
  t.is(info.writer, null);
  t.is(lock.tryWrite(), null, 'no writer while readers hold');
  for (const [i, a] of agents.entries()) await a.call('release', { key: `r${i}` });
  const w = lock.tryWrite();
  t.truthy(w, 'free once every reader left');
  w?.release();
  lock.close();
});

test('a writer never overlaps a reader or another writer (mixed load, 4 processes)', async (t) => {
  const name = uniqueName('mixed');
  t.teardown(() => unlinkAll(name));
  const memory = SharedMemory.open(name, { size: 4096 });
  const words = int32View(memory); // [0] readers inside, [1] writers inside, [2] violations, [3] max readers
  const agents = await startAgents(4);
  t.teardown(() => Promise.all(agents.map((a) => a.stop())));
  // Each agent runs the loop itself through the "mixed" script below, driven by acquire/release calls.
  const rounds = 150;
  await Promise.all(
    agents.map(async (a, index) => {
      for (let i = 0; i < rounds; i++) {
        const mode = (i + index) % 3 === 0 ? 'write' : 'read';
        await a.call('acquire', { lock: name, mode, key: 'k' });
        if (mode === 'write') {
          if (Atomics.add(words, 1, 1) !== 0 || Atomics.load(words, 0) !== 0) Atomics.add(words, 2, 1);
          await sleep(0);
          Atomics.sub(words, 1, 1);
        } else {
          const readers = Atomics.add(words, 0, 1) + 1;
          if (Atomics.load(words, 1) !== 0) Atomics.add(words, 2, 1);
          if (readers > Atomics.load(words, 3)) Atomics.store(words, 3, readers);
          await sleep(0);
          Atomics.sub(words, 0, 1);
        }
        await a.call('release', { key: 'k' });
      }
    }),
  );
  t.is(Atomics.load(words, 2), 0, 'no overlap involving a writer');
  t.true(Atomics.load(words, 3) >= 2, 'readers did overlap');
  memory.close();
});

test('writer preference: a reader arriving while a writer waits is not let in first', async (t) => {
  const name = uniqueName('pref');
  const tickets = `${name}-seq`;
  t.teardown(() => {
    unlinkAll(name);
    unlinkAll(tickets);
  });
  const [holder, writer, reader] = (await startAgents(3)) as [Agent, Agent, Agent];
  t.teardown(() => Promise.all([holder, writer, reader].map((a) => a.stop())));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());

  await holder.call('acquire', { lock: name, mode: 'read', key: 'h' });
  const writerGranted = writer.call<{ ticket: number }>('acquire', {
    lock: name,
    mode: 'write',
    key: 'w',
    ticket: tickets,
  });
  while (lock.inspect().waiting.writers === 0) await sleep(5);
  // The lock is only read-held: without writer preference this reader would get in at once.
  await t.throwsAsync(reader.call('acquire', { lock: name, mode: 'read', key: 'late', timeout: 300 }), {
    code: 'ERR_LOCK_TIMEOUT',
  });
  const readerGranted = reader.call<{ ticket: number }>('acquire', {
    lock: name,
    mode: 'read',
    key: 'r',
    ticket: tickets,
  });
  while (lock.inspect().waiting.readers === 0) await sleep(5);
  await holder.call('release', { key: 'h' });
  const w = await writerGranted;
  await sleep(50);
  await writer.call('release', { key: 'w' });
  const r = await readerGranted;
  t.true(w.ticket < r.ticket, `writer ticket ${w.ticket} before reader ticket ${r.ticket}`);
  await reader.call('release', { key: 'r' });
});

test('downgrade keeps writers out and lets readers in', async (t) => {
  const name = uniqueName('downgrade');
  t.teardown(() => unlinkAll(name));
  const [reader, writer] = (await startAgents(2)) as [Agent, Agent];
  t.teardown(() => Promise.all([reader, writer].map((a) => a.stop())));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const guard = await lock.write();
  let writerIn = false;
  const writerGranted = writer.call('acquire', { lock: name, mode: 'write', key: 'w' }).then(() => {
    writerIn = true;
  });
  while (lock.inspect().waiting.writers === 0) await sleep(5);
  guard.downgrade();
  t.is(guard.mode, 'read');
  t.deepEqual(
    lock.inspect().readers.map((r) => r.pid),
    [process.pid],
  );
  // The waiting writer now drains: it cannot be inside while we read.
  await sleep(150);
  t.false(writerIn);
  t.is(lock.inspect().writer, null);
  guard.release();
  await writerGranted;
  await writer.call('release', { key: 'w' });
  // Downgrade with nobody waiting lets other readers in at once.
  const g2 = await lock.write();
  g2.downgrade();
  await reader.call('acquire', { lock: name, mode: 'read', key: 'r', timeout: 1000 });
  t.is(lock.inspect().readers.length, 2);
  await reader.call('release', { key: 'r' });
  g2.release();
});

test('tryRead and tryWrite never wait and report what they got', async (t) => {
  const name = uniqueName('try');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  const r1 = lock.tryRead();
  const r2 = lock.tryRead();
  t.truthy(r1);
  t.truthy(r2);
  t.is(lock.tryWrite(), null);
  t.deepEqual(lock.inspect().readers, [
    { pid: process.pid, count: 2, since: lock.inspect().readers[0]!.since, alive: true },
  ]);
  r1!.release();
  r1!.release(); // idempotent
  t.is(lock.tryWrite(), null);
  r2!.release();
  const w = lock.tryWrite();
  t.is(w?.mode, 'write');
  t.is(lock.tryRead(), null);
  t.is(lock.tryWrite(), null, 'not reentrant');
  t.is(lock.inspect().writer?.pid, process.pid);
  w!.release();
  t.true(w!.released);
  lock.close();
});

test('withRead / withWrite release on return and on throw; using releases at scope exit', async (t) => {
  const name = uniqueName('with');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.is(await lock.withWrite((g) => g.mode), 'write');
  await t.throwsAsync(
    lock.withRead(async () => {
      throw new Error('boom');
    }),
    { message: 'boom' },
  );
  {
    await using g = await lock.write();
    t.is(lock.inspect().writer?.pid, process.pid);
    t.false(g.released);
  }
  {
    using g = await lock.read();
    t.is(g.mode, 'read');
  }
  t.truthy(lock.tryWrite()?.release() ?? true);
  t.is(lock.inspect().writer, null);
  t.deepEqual(lock.inspect().readers, []);
  lock.close();
});

test('close() rejects pending requests with ERR_CLOSED and releases held guards', async (t) => {
  const name = uniqueName('close');
  t.teardown(() => unlinkAll(name));
  const a = RwLock.open(name);
  const b = RwLock.open(name);
  const held = await b.write();
  const pending = a.read();
  const pendingWrite = a.write({ timeout: 5000 });
  const aGuard = a.tryRead();
  t.is(aGuard, null);
  a.close();
  a.close();
  await t.throwsAsync(pending, { code: 'ERR_CLOSED' });
  await t.throwsAsync(pendingWrite, { code: 'ERR_CLOSED' });
  await t.throwsAsync(a.read(), { code: 'ERR_CLOSED' });
  b.close();
  t.true(held.released, 'a closed handle releases its guards');
  const c = RwLock.open(name);
  const w = c.tryWrite();
  t.truthy(w, 'nothing left held');
  w!.release();
  c.close();
});

test('a queued write that goes away leaves no writers-waiting mark that blocks readers', async (t) => {
  // Regression: B queues [write, read]; its write claims the lock and drains A's read, then is
  // aborted. B's read must be granted once A leaves, and new readers must get in.
  const name = uniqueName('stalebit');
  t.teardown(() => unlinkAll(name));
  const b = await Agent.start();
  t.teardown(() => b.stop());
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const a = await lock.write();
  const bWrite = b.call('acquire', { lock: name, mode: 'write', key: 'w', abortKey: 'w' }).catch((e: Error) => e);
  const bRead = b.call('acquire', { lock: name, mode: 'read', key: 'r', timeout: 3000 });
  while (lock.inspect().waiting.readers + lock.inspect().waiting.writers < 2) await sleep(5);
  a.downgrade(); // B's write now claims the writer field and waits for our read to drain
  await sleep(50);
  await b.call('abort', { abortKey: 'w' });
  t.is(((await bWrite) as { errorName?: string }).errorName, 'AbortError');
  const started = performance.now();
  a.release();
  await bRead;
  t.true(performance.now() - started < 90, 'granted by a wake-up, not by a slice timeout');
  const mine = lock.tryRead();
  t.truthy(mine, 'new readers get in');
  mine?.release();
  await b.call('release', { key: 'r' });
});
