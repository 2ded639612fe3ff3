import test from 'ava';
import { LockManager, LockTimeoutError, NamedEvent, RwLock } from 'interlocked';
import { Agent } from './helpers/agent.js';
import { sleep, uniqueName, unlinkAll, unlinkPrefix } from './helpers/names.js';

async function heldElsewhere(t: { teardown: (fn: () => unknown) => void }, mode: 'read' | 'write') {
  const name = uniqueName('deadline');
  const agent = await Agent.start();
  t.teardown(() => agent.stop());
  t.teardown(() => unlinkAll(name));
  await agent.call('acquire', { lock: name, mode, key: 'h' });
  return { name, agent };
}

for (const mode of ['read', 'write'] as const) {
  test(`${mode}() rejects with ERR_LOCK_TIMEOUT near its deadline and leaks nothing`, async (t) => {
    const { name, agent } = await heldElsewhere(t, 'write');
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const started = performance.now();
    const error = await t.throwsAsync(lock[mode]({ timeout: 300 }), {
      instanceOf: LockTimeoutError,
      code: 'ERR_LOCK_TIMEOUT',
    });
    const elapsed = performance.now() - started;
    t.true(elapsed >= 299, `waited ${elapsed} ms`);
    t.true(elapsed < 600, `waited ${elapsed} ms`);
    t.regex(error!.message, new RegExp(`timed out after 300 ms waiting to ${mode}`));
    t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
    await agent.call('release', { key: 'h' });
    const w = lock.tryWrite();
    t.truthy(w, 'no hold leaked by the timed-out request');
    w!.release();
  });
}

test('timeout: 0 fails at once when the lock is taken and succeeds when free', async (t) => {
  const { name, agent } = await heldElsewhere(t, 'read');
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  await t.throwsAsync(lock.write({ timeout: 0 }), { code: 'ERR_LOCK_TIMEOUT' });
  const r = await lock.read({ timeout: 0 });
  r.release();
  await agent.call('release', { key: 'h' });
  (await lock.write({ timeout: 0 })).release();
});

test('an abort rejects with the signal reason and leaks nothing', async (t) => {
  const { name, agent } = await heldElsewhere(t, 'write');
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const controller = new AbortController();
  const reason = new Error('changed my mind');
  const pending = lock.write({ signal: controller.signal });
  const pendingRead = lock.read({ signal: controller.signal });
  setTimeout(() => controller.abort(reason), 50);
  t.is(await t.throwsAsync(pending), reason);
  t.is(await t.throwsAsync(pendingRead), reason);
  // Default reason: an AbortError DOMException.
  const c2 = new AbortController();
  const p2 = lock.read({ signal: c2.signal });
  c2.abort();
  // Node's default reason, a DOMException named AbortError (not an Error in this realm: no throwsAsync).
  const e2 = (await p2.then(
    () => null,
    (e: unknown) => e,
  )) as { name?: string } | null;
  t.is(e2?.name, 'AbortError');
  // Already aborted: rejects without queueing.
  await t.throwsAsync(lock.read({ signal: AbortSignal.abort(reason) }), { is: reason });
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 });
  await agent.call('release', { key: 'h' });
  const w = lock.tryWrite();
  t.truthy(w);
  w!.release();
});

test('aborts that race grants settle once and never leak the lock', async (t) => {
  const name = uniqueName('race');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  const other = RwLock.open(name);
  t.teardown(() => {
    lock.close();
    other.close();
  });
  let granted = 0;
  let aborted = 0;
  for (let i = 0; i < 200; i++) {
    const holder = await other.write();
    const controller = new AbortController();
    const p = lock.write({ signal: controller.signal }).then(
      (g) => {
        granted++;
        g.release();
      },
      (e: Error) => {
        if (e.name !== 'AbortError') throw e;
        aborted++;
      },
    );
    // Release and abort in the same tick: the grant and the abort race on the waiter thread.
    holder.release();
    if (i % 2 === 0) queueMicrotask(() => controller.abort());
    else controller.abort();
    await p;
  }
  t.is(granted + aborted, 200);
  // Whatever won each race, nothing is held now.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const w = other.tryWrite();
  t.truthy(w, `lock free after ${granted} grants and ${aborted} aborts`);
  w!.release();
});

// Timeouts at the limits of a double: none may overflow into "already past".
const huge = {
  '2 ** 64': 2 ** 64,
  '1e300': 1e300,
  'Number.MAX_VALUE': Number.MAX_VALUE,
  '2 ** 53': 2 ** 53,
  '24.8 days (2 ** 31 ms)': 2 ** 31,
};

for (const [label, timeout] of Object.entries(huge)) {
  test(`a timeout of ${label} waits (a century or more: like Infinity) until the lock, the event, the manager grant`, async (t) => {
    const { name, agent } = await heldElsewhere(t, 'write');
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const event = NamedEvent.open(name, { manualReset: false });
    t.teardown(() => event.close());
    const prefix = `${uniqueName('hugetimeout')}.`;
    t.teardown(() => unlinkPrefix(prefix));
    const manager = new LockManager({ prefix });
    const holder = RwLock.open(manager.lockName('x'));
    t.teardown(() => holder.close());
    const held = holder.tryWrite()!;
    const settled: string[] = [];
    const writing = lock.write({ timeout }).finally(() => settled.push('write'));
    const waiting = event.wait({ timeout }).finally(() => settled.push('wait'));
    const requesting = manager.request('x', { timeout }, (l) => l?.mode).finally(() => settled.push('request'));
    await sleep(150);
    t.deepEqual(settled, [], 'nothing timed out at once');
    await agent.call('release', { key: 'h' });
    event.set();
    held.release();
    (await writing).release();
    t.true(await waiting);
    t.is(await requesting, 'exclusive');
  });
}
