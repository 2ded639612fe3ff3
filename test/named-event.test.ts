import test from 'ava';
import { Worker } from 'node:worker_threads';
import { NamedEvent } from 'interlocked';
import { Agent, fixturePath, startAgents } from './helpers/agent.js';
import { sleep, uniqueName, unlinkAll } from './helpers/names.js';

test('manual-reset: set() releases every waiting process and stays set until reset()', async (t) => {
  const name = uniqueName('manual');
  t.teardown(() => unlinkAll(name));
  const event = NamedEvent.open(name);
  t.teardown(() => event.close());
  t.true(event.manualReset);
  t.false(event.isSet());
  const agents = await startAgents(3);
  t.teardown(() => Promise.all(agents.map((a) => a.stop())));
  const waits = agents.map((a) => a.call<{ result: boolean }>('waitEvent', { event: name, timeout: 5000 }));
  await sleep(100);
  event.set();
  t.deepEqual(
    (await Promise.all(waits)).map((w) => w.result),
    [true, true, true],
  );
  t.true(event.isSet());
  t.true(await event.wait({ timeout: 0 }), 'still set');
  event.reset();
  t.false(await event.wait({ timeout: 50 }));
});

test('manual-reset: a set() followed at once by reset() still releases current waiters', async (t) => {
  const name = uniqueName('pulse');
  t.teardown(() => unlinkAll(name));
  const event = NamedEvent.open(name);
  t.teardown(() => event.close());
  const agent = await Agent.start();
  t.teardown(() => agent.stop());
  const wait = agent.call<{ result: boolean }>('waitEvent', { event: name, timeout: 3000 });
  await sleep(100);
  event.set();
  event.reset();
  t.true((await wait).result);
});

test('auto-reset: each set() releases exactly one waiter across processes', async (t) => {
  const name = uniqueName('auto');
  t.teardown(() => unlinkAll(name));
  const event = NamedEvent.open(name, { manualReset: false });
  t.teardown(() => event.close());
  t.false(event.manualReset);
  const agents = await startAgents(3);
  t.teardown(() => Promise.all(agents.map((a) => a.stop())));
  for (const a of agents) await a.call('openEvent', { event: name });
  let released = 0;
  const waits = agents.map((a) =>
    a.call<{ result: boolean }>('waitEvent', { event: name, timeout: 10_000 }).then((r) => {
      released++;
      return r.result;
    }),
  );
  await sleep(100);
  for (let i = 1; i <= 3; i++) {
    event.set();
    const deadline = Date.now() + 3000;
    while (released < i && Date.now() < deadline) await sleep(5);
    await sleep(150); // a second waiter released by the same set() would show up here
    t.is(released, i, `after set() number ${i}`);
    t.false(event.isSet(), 'the released waiter consumed the signal');
  }
  t.deepEqual(await Promise.all(waits), [true, true, true]);
  // With nobody waiting the signal stays until one wait consumes it.
  event.set();
  t.true(event.isSet());
  t.true(await event.wait({ timeout: 0 }));
  t.false(event.isSet());
});

test('wait() times out near its deadline and aborts with the signal reason', async (t) => {
  const name = uniqueName('evtimeout');
  t.teardown(() => unlinkAll(name));
  const event = NamedEvent.open(name, { initialState: false });
  t.teardown(() => event.close());
  const started = performance.now();
  t.false(await event.wait({ timeout: 200 }));
  const elapsed = performance.now() - started;
  t.true(elapsed >= 199 && elapsed < 500, `timed out after ${elapsed} ms`);
  const controller = new AbortController();
  const reason = new Error('stop waiting');
  const p = event.wait({ signal: controller.signal });
  setTimeout(() => controller.abort(reason), 30);
  t.is(await t.throwsAsync(p), reason);
  // A process aborting its wait does not eat an auto-reset signal meant for another.
  const auto = uniqueName('evabort');
  t.teardown(() => unlinkAll(auto));
  const e2 = NamedEvent.open(auto, { manualReset: false });
  t.teardown(() => e2.close());
  const agent = await Agent.start();
  t.teardown(() => agent.stop());
  const c2 = new AbortController();
  const mine = e2.wait({ signal: c2.signal });
  c2.abort();
  t.is(((await mine.catch((e: unknown) => e)) as { name?: string }).name, 'AbortError');
  const theirs = agent.call<{ result: boolean }>('waitEvent', { event: auto, timeout: 3000 });
  await sleep(50);
  e2.set();
  t.true((await theirs).result);
});

test('initialState and close(): pending waits reject with ERR_CLOSED', async (t) => {
  const name = uniqueName('evclose');
  t.teardown(() => unlinkAll(name));
  const a = NamedEvent.open(name, { initialState: true });
  t.true(a.isSet());
  t.true(a.created);
  t.throws(() => NamedEvent.open(name, { manualReset: false }), { code: 'ERR_INCOMPATIBLE' });
  const b = NamedEvent.open(name, { initialState: false });
  t.false(b.created);
  t.true(b.isSet(), 'the creator decides the initial state');
  t.true(b.manualReset, 'and the reset mode');
  a.reset();
  const pending = a.wait();
  a.close();
  a.close();
  await t.throwsAsync(pending, { code: 'ERR_CLOSED' });
  t.throws(() => a.set(), { code: 'ERR_CLOSED' });
  await t.throwsAsync(a.wait(), { code: 'ERR_CLOSED' });
  b.close();
});

/**
 * Spins this thread (so no completion reaches its JavaScript) until `done()` or 2 s. The tests that
 * spin run serially: a blocked loop would upset the timing of the tests running beside them.
 */
function spinUntil(done: () => boolean): boolean {
  const end = performance.now() + 2000;
  while (!done()) if (performance.now() > end) return false;
  return true;
}

test.serial('auto-reset: a signal consumed for a wait whose handle is closed before it lands goes back', async (t) => {
  const name = uniqueName('autoclose');
  t.teardown(() => unlinkAll(name));
  const other = NamedEvent.open(name, { manualReset: false });
  t.teardown(() => other.close());
  let returned = 0;
  const rounds = 20;
  for (let i = 0; i < rounds; i++) {
    const mine = NamedEvent.open(name);
    const waiting = mine.wait();
    other.set();
    // The waiter thread of `mine` takes the signal; its completion cannot reach us while we spin.
    t.true(
      spinUntil(() => !other.isSet()),
      'the pending wait consumed the signal',
    );
    mine.close();
    await t.throwsAsync(waiting, { code: 'ERR_CLOSED' });
    if (await other.wait({ timeout: 1000 })) returned++;
  }
  t.is(returned, rounds, 'every consumed signal went back to the event');
});

test.serial('auto-reset: a signal consumed for a Worker that is terminated before it lands goes back', async (t) => {
  const name = uniqueName('autoterm');
  t.teardown(() => unlinkAll(name));
  const event = NamedEvent.open(name, { manualReset: false });
  t.teardown(() => event.close());
  const worker = new Worker(fixturePath('worker-event-waiter'), { workerData: { event: name } });
  await new Promise((resolve) => worker.once('message', resolve));
  await sleep(20); // its loop is busy now
  event.set();
  t.true(
    spinUntil(() => !event.isSet()),
    "the Worker's waiter thread consumed the signal",
  );
  await worker.terminate();
  t.true(await event.wait({ timeout: 1000 }), 'the signal went back to the event');
});

test.serial('auto-reset: a signal consumed for an aborted wait goes back', async (t) => {
  const name = uniqueName('autoabort');
  t.teardown(() => unlinkAll(name));
  const other = NamedEvent.open(name, { manualReset: false });
  t.teardown(() => other.close());
  const mine = NamedEvent.open(name);
  t.teardown(() => mine.close());
  const controller = new AbortController();
  const waiting = mine.wait({ signal: controller.signal });
  other.set();
  t.true(spinUntil(() => !other.isSet()));
  controller.abort();
  t.is(((await waiting.catch((e: unknown) => e)) as DOMException).name, 'AbortError');
  t.true(await other.wait({ timeout: 1000 }), 'the signal went back to the event');
});
