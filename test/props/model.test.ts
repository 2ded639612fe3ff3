// Model-based test of the single-process API: fast-check runs random command sequences against a
// real RwLock and a tiny model of what must be held, checking each result and inspect() after every
// command.
import test from 'ava';
import fc from 'fast-check';
import { RwLock, type LockGuard } from 'interlocked';
import { uniqueName, unlinkAll } from '../helpers/names.js';

interface Model {
  reads: number;
  write: boolean;
}
interface Real {
  lock: RwLock;
  name: string;
  guards: LockGuard[];
}
type Cmd = fc.AsyncCommand<Model, Real>;

const free = (m: Model) => !m.write && m.reads === 0;
const isTimeout = (e: unknown) => (e as { code?: string }).code === 'ERR_LOCK_TIMEOUT';

function expectState(m: Model, r: Real) {
  const info = r.lock.inspect();
  if (Boolean(info.writer) !== m.write) throw new Error(`writer ${JSON.stringify(info.writer)} but model ${m.write}`);
  const reads = info.readers.reduce((n, h) => n + h.count, 0);
  if (reads !== m.reads) throw new Error(`inspect shows ${reads} reads, model ${m.reads}`);
  if (info.waiting.readers + info.waiting.writers !== 0) throw new Error('requests left waiting');
}

function push(m: Model, r: Real, g: LockGuard) {
  r.guards.push(g);
  if (g.mode === 'write') m.write = true;
  else m.reads++;
}

class TryAcquire implements Cmd {
  constructor(readonly mode: 'read' | 'write') {}
  check = () => true;
  async run(m: Model, r: Real) {
    const g = this.mode === 'read' ? r.lock.tryRead() : r.lock.tryWrite();
    const allowed = this.mode === 'read' ? !m.write : free(m);
    if (Boolean(g) !== allowed) throw new Error(`try${this.mode} gave ${g ? 'a guard' : 'null'}, expected ${allowed}`);
    if (g) push(m, r, g);
    expectState(m, r);
  }
  toString = () => `try-${this.mode}`;
}

class Acquire implements Cmd {
  constructor(readonly mode: 'read' | 'write') {}
  check = () => true;
  async run(m: Model, r: Real) {
    const allowed = this.mode === 'read' ? !m.write : free(m);
    try {
      const g = await r.lock[this.mode]({ timeout: allowed ? 1000 : 15 });
      if (!allowed) throw new Error(`${this.mode}() was granted while the model says it must wait`);
      push(m, r, g);
    } catch (e) {
      if (allowed || !isTimeout(e)) throw e;
    }
    expectState(m, r);
  }
  toString = () => this.mode;
}

class Release implements Cmd {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.reads > 0 || m.write;
  async run(m: Model, r: Real) {
    const [g] = r.guards.splice(this.index % r.guards.length, 1);
    g!.release();
    g!.release(); // idempotent
    if (g!.mode === 'write') m.write = false;
    else m.reads--;
    if (!g!.released) throw new Error('released is false after release()');
    expectState(m, r);
  }
  toString = () => `release(${this.index})`;
}

class Downgrade implements Cmd {
  check = (m: Readonly<Model>) => m.write;
  async run(m: Model, r: Real) {
    const g = r.guards.find((x) => x.mode === 'write')!;
    g.downgrade();
    if (g.mode !== 'read') throw new Error('still a write guard after downgrade()');
    m.write = false;
    m.reads++;
    expectState(m, r);
  }
  toString = () => 'downgrade';
}

class ClosePending implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    // A second handle's write waits when anything is held; closing it settles that request.
    const other = RwLock.open(r.name);
    const pending = other.write({ timeout: 5000 });
    const outcome = pending.then(
      (g) => ({ g }),
      (e: { code?: string }) => ({ e }),
    );
    other.close();
    const result = await outcome;
    if ('g' in result) {
      if (!free(m)) throw new Error('a write was granted while the lock was held');
      if (!result.g.released) throw new Error('close() left a guard of its handle held');
    } else if (result.e.code !== 'ERR_CLOSED') {
      throw new Error(`pending write ended with ${result.e.code}, expected ERR_CLOSED`);
    }
    expectState(m, r);
  }
  toString = () => 'close-with-pending';
}

class AbortRacingGrant implements Cmd {
  check = (m: Readonly<Model>) => m.write || m.reads > 0;
  async run(m: Model, r: Real) {
    const other = RwLock.open(r.name);
    const controller = new AbortController();
    const pending = other.write({ signal: controller.signal });
    for (const g of r.guards.splice(0)) g.release();
    m.write = false;
    m.reads = 0;
    controller.abort(); // same tick as the releases: races the grant on the waiter thread
    try {
      (await pending).release();
    } catch (e) {
      if ((e as { name?: string }).name !== 'AbortError') throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, 5)); // a grant in flight is given back
    other.close();
    expectState(m, r);
  }
  toString = () => 'abort-racing-grant';
}

class UsingScope implements Cmd {
  constructor(readonly async: boolean) {}
  check = (m: Readonly<Model>) => free(m);
  async run(m: Model, r: Real) {
    if (this.async) {
      await using g = await r.lock.write();
      if (!r.lock.inspect().writer) throw new Error('not held inside the scope');
      void g;
    } else {
      using g = r.lock.tryRead()!;
      if (r.lock.inspect().readers.length !== 1) throw new Error('not held inside the scope');
      void g;
    }
    expectState(m, r);
  }
  toString = () => (this.async ? 'await-using-write' : 'using-read');
}

const commands = [
  fc.constantFrom('read' as const, 'write' as const).map((mode) => new TryAcquire(mode)),
  fc.constantFrom('read' as const, 'write' as const).map((mode) => new Acquire(mode)),
  fc.nat(10).map((i) => new Release(i)),
  fc.constant(new Downgrade()),
  fc.constant(new ClosePending()),
  fc.constant(new AbortRacingGrant()),
  fc.boolean().map((a) => new UsingScope(a)),
];

test('model-based: random command sequences agree with the model and inspect()', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
      const name = uniqueName('model');
      const real: Real = { lock: RwLock.open(name), name, guards: [] };
      try {
        await fc.asyncModelRun(() => ({ model: { reads: 0, write: false }, real }), cmds);
      } finally {
        real.lock.close();
        unlinkAll(name);
      }
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
  t.pass();
});
