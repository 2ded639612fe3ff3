// Counts at their limits: 2^20 guards of one lock in one process, every slot of a lock taken. Each
// gets a typed error or works; none may abort the process (the scenarios run in child processes,
// so that an abort is reported as one).
import test from 'ava';
import { RwLock } from 'interlocked';
import { Agent, AgentError } from './helpers/agent.js';
import { Snippet } from './helpers/snippet.js';
import { sleep, uniqueName, unlinkAll } from './helpers/names.js';

test('the guard after 2^20 of one lock is ERR_TOO_MANY_GUARDS: for a try, a wait and a queued request', async (t) => {
  const name = uniqueName('guards');
  t.teardown(() => unlinkAll(name));
  const child = new Snippet(
    `import { RwLock } from 'interlocked';
     const lock = RwLock.open(${JSON.stringify(name)});
     const outcome = async (f) => { try { const g = await f(); g?.release(); return g ? 'granted' : 'null'; } catch (e) { return e.code; } };
     const guards = [];
     while (guards.length < 2 ** 20) guards.push(lock.tryRead());
     const codes = {
       tryRead: await outcome(() => lock.tryRead()),
       read: await outcome(() => lock.read()),
       'read({ timeout: 0 })': await outcome(() => lock.read({ timeout: 0 })),
       tryWrite: await outcome(() => lock.tryWrite()),
     };
     guards.pop().release(); // room for one more
     process.send({ codes, readers: lock.inspect().readers[0].count });
     await new Promise((resolve) => process.once('message', resolve));
     // A writer of another process waits now: these two queue behind it.
     const queued = [outcome(() => lock.read()), outcome(() => lock.read())];
     process.send('queued');
     const results = await Promise.all(queued);
     for (const g of guards) g.release();
     process.send({ results, afterwards: await outcome(() => lock.tryWrite()) });`,
    { timeout: 60_000 },
  );
  t.teardown(() => child.kill());
  const first = await child.next<{ codes: Record<string, string>; readers: number }>();
  t.deepEqual(first.codes, {
    tryRead: 'ERR_TOO_MANY_GUARDS',
    read: 'ERR_TOO_MANY_GUARDS',
    'read({ timeout: 0 })': 'ERR_TOO_MANY_GUARDS',
    tryWrite: 'ERR_TOO_MANY_GUARDS',
  });
  t.is(first.readers, 2 ** 20 - 1);
  const writer = await Agent.start();
  t.teardown(() => writer.stop());
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const writing = writer.call('acquire', { lock: name, mode: 'write', key: 'w', timeout: 500 });
  while (lock.inspect().waiting.writers === 0) await sleep(5);
  child.send('queue');
  t.is(await child.next(), 'queued');
  // The writer gives up; the waiter thread grants the first read and refuses the second.
  const error = await writing.catch((e: unknown) => e);
  t.is((error as AgentError).code, 'ERR_LOCK_TIMEOUT');
  t.deepEqual(await child.next(), { results: ['granted', 'ERR_TOO_MANY_GUARDS'], afterwards: 'granted' });
  const { code, signal } = await child.result;
  t.deepEqual({ code, signal }, { code: 0, signal: null }, 'the process lived on');
});
