import test from 'ava';
import { RwLock } from 'interlocked';
import { Agent } from './helpers/agent.js';
import { uniqueName, unlinkAll } from './helpers/names.js';

test('a writer killed inside the lock: the next holder is granted and sees abandoned', async (t) => {
  const name = uniqueName('deadwriter');
  t.teardown(() => unlinkAll(name));
  const agent = await Agent.start();
  await agent.call('acquire', { lock: name, mode: 'write', key: 'w' });
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const pending = lock.write({ timeout: 3000 });
  const started = performance.now();
  await agent.kill('SIGKILL');
  const guard = await pending;
  t.log(`granted ${(performance.now() - started).toFixed(1)} ms after the kill`);
  t.true(guard.abandoned);
  t.true(lock.inspect().abandoned);
  guard.markConsistent();
  guard.release();
  t.false(lock.inspect().abandoned);
  const next = await lock.read({ timeout: 1000 });
  t.false(next.abandoned);
  next.release();
});

test('a reader killed while holding: its holds are taken back and a waiting writer proceeds', async (t) => {
  const name = uniqueName('deadreader');
  t.teardown(() => unlinkAll(name));
  const agent = await Agent.start();
  await agent.call('acquire', { lock: name, mode: 'read', key: 'r1' });
  await agent.call('acquire', { lock: name, mode: 'read', key: 'r2' });
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  t.deepEqual(
    lock.inspect().readers.map((r) => [r.pid, r.count]),
    [[agent.pid, 2]],
  );
  const pending = lock.write({ timeout: 3000 });
  await agent.kill('SIGKILL');
  const guard = await pending;
  t.false(guard.abandoned, 'a dead reader tears nothing');
  t.deepEqual(lock.inspect().readers, []);
  guard.release();
});
