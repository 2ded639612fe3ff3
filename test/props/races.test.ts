// Scheduler tests of the async layer's races: fast-check's scheduler decides the order in which the
// racing calls run; whatever the order, every promise settles once and nothing stays held.
import test from 'ava';
import fc from 'fast-check';
import { RwLock } from 'interlocked';
import { uniqueName, unlinkAll } from '../helpers/names.js';

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: { name?: string; code?: string }) => ({ ok: false as const, error }),
  );

// A grant that lost a race to an abort is given back when its completion reaches JavaScript, a few
// ms later (more under Wine): wait for that, bounded, then the lock must be free.
async function assertFree(lock: RwLock) {
  for (let waited = 0; waited < 2000; waited += 5) {
    const g = lock.tryWrite();
    if (g) return g.release();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`lock still held after 2 s: ${JSON.stringify(lock.inspect())}`);
}

// Two handles on a fresh lock (two "holders" in this process), closed and unlinked afterwards.
async function withTwoHandles(prefix: string, body: (a: RwLock, b: RwLock) => Promise<void>): Promise<void> {
  const name = uniqueName(prefix);
  const a = RwLock.open(name);
  const b = RwLock.open(name);
  try {
    await body(a, b);
  } finally {
    a.close();
    b.close();
    unlinkAll(name);
  }
}

test('abort versus grant versus release: settles once, never leaks', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), fc.constantFrom('read' as const, 'write' as const), async (s, mode) => {
      await withTwoHandles('race-abort', async (a, b) => {
        const holder = await a.write();
        const controller = new AbortController();
        const outcome = settle(b[mode]({ signal: controller.signal }));
        s.scheduleFunction(async () => holder.release())();
        s.scheduleFunction(async () => controller.abort())();
        await s.waitAll();
        const result = await outcome;
        if (result.ok) result.value.release();
        else if (result.error.name !== 'AbortError') throw new Error(`unexpected ${result.error.name}`);
        await assertFree(a);
      });
    }),
    { numRuns: 60, includeErrorInReport: true },
  );
  t.pass();
});

test('close versus pending versus release: pending requests end ERR_CLOSED or granted-and-released', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 4 }), async (s, waiters) => {
      await withTwoHandles('race-close', async (a, b) => {
        const holder = await a.write();
        const outcomes = Array.from({ length: waiters }, (_, i) =>
          settle(b[i % 2 ? 'read' : 'write']({ timeout: 5000 })),
        );
        s.scheduleFunction(async () => holder.release())();
        s.scheduleFunction(async () => b.close())();
        await s.waitAll();
        for (const r of await Promise.all(outcomes)) {
          if (r.ok && !r.value.released) throw new Error('a guard of a closed handle is still held');
          if (!r.ok && r.error.code !== 'ERR_CLOSED') throw new Error(`unexpected ${r.error.code}`);
        }
        await assertFree(a);
      });
    }),
    { numRuns: 60, includeErrorInReport: true },
  );
  t.pass();
});

test('release during a wake: waiters that time out or abort while being woken leave the lock consistent', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.array(fc.record({ mode: fc.constantFrom('read' as const, 'write' as const), abort: fc.boolean() }), {
        minLength: 1,
        maxLength: 5,
      }),
      async (s, plan) => {
        await withTwoHandles('race-wake', async (a, b) => {
          const holder = await a.write();
          const controllers = plan.map(() => new AbortController());
          // Each grant is given back at once, so the next queued waiter can be granted in turn.
          const outcomes = plan.map((w, i) =>
            settle(
              b[w.mode]({ signal: controllers[i]!.signal }).then((g) => {
                g.release();
                return g;
              }),
            ),
          );
          s.scheduleFunction(async () => holder.release())();
          plan.forEach((w, i) => {
            if (w.abort) s.scheduleFunction(async () => controllers[i]!.abort())();
          });
          await s.waitAll();
          const results = await Promise.all(outcomes);
          results.forEach((r, i) => {
            if (!r.ok && !(plan[i]!.abort && r.error.name === 'AbortError'))
              throw new Error(`waiter ${i}: ${r.error.name}`);
            if (r.ok && !r.value.released) throw new Error(`waiter ${i}: guard not released`);
          });
          await assertFree(a);
        });
      },
    ),
    { numRuns: 60, includeErrorInReport: true },
  );
  t.pass();
});
