// Processes in other pid namespaces (containers sharing /dev/shm, without a /proc of their own):
// their pids mean nothing here, and their process keys may equal ours. Recovery must still find
// the dead ones, and must never take a live one for dead. Linux, as root (unshare).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { RwLock } from 'interlocked';
import { Snippet } from '../helpers/snippet.js';
import { backingFile, isWindows, sleep, uniqueName, unlinkAll } from '../helpers/names.js';

// Offsets in a lock segment (src/native/core/lock_layout.h).
const STATE = 64;
const SLOTS = 256;
const SLOT_SIZE = 64;
const ACTIVE = 1 << 12;

// A new pid namespace whose /proc is the host's (not remounted): node runs as pid 2 there (sh is
// the namespace's init, which could not be sent signals from inside), and dies with the wrapper.
const namespaced = ['unshare', '--pid', '--fork', '--kill-child=SIGKILL', 'sh', '-c', '"$0" "$@"; exit $?'];
const canUnshare = !isWindows && spawnSync(namespaced[0]!, [...namespaced.slice(1), 'true']).status === 0;

function inNamespace(code: string, env: NodeJS.ProcessEnv = {}): Snippet {
  return new Snippet(`import { RwLock } from 'interlocked';\n${code}`, { wrap: namespaced, env });
}

(canUnshare ? test : test.skip)(
  'two processes in other pid namespaces see the same pid, and one recovers the other',
  async (t) => {
    const name = uniqueName('pidns');
    t.teardown(() => unlinkAll(name));
    const holder = inNamespace(`
    const guard = await RwLock.open(${JSON.stringify(name)}).write();
    process.send({ pid: process.pid });
    setInterval(() => {}, 1000);`);
    t.teardown(() => holder.kill());
    t.deepEqual(await holder.next(), { pid: 2 });
    await sleep(30); // another start time: what a /proc of their own would tell apart
    const waiter = inNamespace(`
    const lock = RwLock.open(${JSON.stringify(name)});
    process.send({ pid: process.pid, writer: lock.inspect().writer });
    const blocking = await lock.write({ timeout: 4000 }).then((g) => g.abandoned, (e) => e.code);
    process.send({ blocking });`);
    t.teardown(() => waiter.kill());
    t.like(await waiter.next(), { pid: 2, writer: { pid: 2, alive: true } });
    const killed = performance.now();
    await holder.kill();
    t.deepEqual(await waiter.next(), { blocking: true }, 'the waiter was granted, and told the writer died inside');
    t.log(`granted ${(performance.now() - killed).toFixed(0)} ms after the kill`);
  },
);

(canUnshare ? test : test.skip)(
  'a try-only process in another pid namespace recovers a dead holder of a third one',
  async (t) => {
    const name = uniqueName('pidnstry');
    t.teardown(() => unlinkAll(name));
    const tryer = inNamespace(`
    const lock = RwLock.open(${JSON.stringify(name)});
    process.send('open');
    await new Promise((resolve) => process.once('message', resolve));
    const started = performance.now();
    let guard = null;
    while (!(guard = lock.tryWrite()) && performance.now() - started < 4000) await new Promise((r) => setTimeout(r, 5));
    process.send({ granted: guard !== null, abandoned: guard?.abandoned });`);
    t.teardown(() => tryer.kill());
    t.is(await tryer.next(), 'open');
    const holder = inNamespace(`
    await RwLock.open(${JSON.stringify(name)}).write();
    process.send('held');
    setInterval(() => {}, 1000);`);
    t.teardown(() => holder.kill());
    t.is(await holder.next(), 'held');
    await holder.kill();
    tryer.send('go');
    t.deepEqual(await tryer.next(), { granted: true, abandoned: true });
  },
);

(canUnshare ? test : test.skip)(
  'an initialiser in another pid namespace that dies half way is taken over; one that stalls is waited for',
  async (t) => {
    for (const fate of ['dies', 'stalls'] as const) {
      const name = uniqueName(`pidnsinit-${fate}`);
      t.teardown(() => unlinkAll(name));
      const initialiser = inNamespace(
        `globalThis.lock = RwLock.open(${JSON.stringify(name)}); process.send('initialised'); // kept: an idle handle may be collected
         setInterval(() => {}, 1000);`,
        { INTERLOCK_STALL_AT: 'init-claimed' },
      );
      t.teardown(() => initialiser.kill());
      // Until it has stopped itself between claiming the init word and initialising.
      let node = 0;
      for (let i = 0; i < 400 && !(node && isStopped(node)); i++) {
        node = nodeIn(initialiser);
        await sleep(5);
      }
      t.true(isStopped(node), 'the initialiser stalls half way');
      if (fate === 'dies') {
        await initialiser.kill();
        const started = performance.now();
        const lock = RwLock.open(name); // takes over the dead initialiser's work
        t.teardown(() => lock.close());
        t.log(`took over in ${(performance.now() - started).toFixed(0)} ms`);
        const guard = lock.tryWrite();
        t.truthy(guard, 'a working lock');
        guard?.release();
      } else {
        const opening = new Snippet(`
          import { RwLock } from 'interlocked';
          process.send('opening');
          const started = performance.now();
          const lock = RwLock.open(${JSON.stringify(name)}); // blocks while the initialiser is stalled
          process.send({ waited: performance.now() - started >= 250 });
          await new Promise((resolve) => process.once('message', resolve));
          process.send({ processes: lock.inspect().processes });`);
        t.teardown(() => opening.kill());
        t.is(await opening.next(), 'opening');
        await sleep(300);
        process.kill(node, 'SIGCONT');
        t.is(await initialiser.next(), 'initialised');
        t.deepEqual(await opening.next(), { waited: true }, 'the opener waited for the live initialiser');
        opening.send('look');
        t.deepEqual(await opening.next(), { processes: 2 }, 'then joined its lock: one lock, both attached');
      }
    }
  },
);

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The host pid of the node process in a namespaced snippet (wrapper -> sh -> node), or 0. */
function nodeIn(snippet: Snippet): number {
  const sh = childrenOf(snippet.child.pid!)[0];
  return (sh && childrenOf(sh)[0]) || 0;
}

function isStopped(pid: number): boolean {
  try {
    return /\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

// Forges the slot table through the lock's backing file: Linux only, no namespaces needed.
(isWindows ? test.skip : test)(
  'a dead process whose key equals ours (another pid namespace) is recovered',
  async (t) => {
    const name = uniqueName('samekey');
    t.teardown(() => unlinkAll(name));
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    // Our own key, from our slot (the first one), written into slot 5 as a dead writer's: a
    // process elsewhere with the same pid and start time that died inside the lock.
    const fd = openSync(backingFile('lock', name), 'r+');
    const key = Buffer.alloc(8);
    readSync(fd, key, 0, 8, SLOTS);
    t.not(key.readBigUInt64LE(0), 0n, 'our slot is the first one');
    writeSync(fd, key, 0, 8, SLOTS + 5 * SLOT_SIZE);
    const state = Buffer.alloc(4);
    state.writeUInt32LE(6 | ACTIVE, 0);
    writeSync(fd, state, 0, 4, STATE);
    closeSync(fd);
    t.false(lock.inspect().writer?.alive, 'inspect() tells the dead writer from us');
    // A try-only process recovers it (rate-limited: a few tries)...
    let guard = null;
    for (let i = 0; i < 100 && guard === null; i++) {
      guard = lock.tryWrite();
      if (guard === null) await sleep(5);
    }
    t.truthy(guard);
    t.true(guard!.abandoned);
    guard!.release();
    t.is(lock.inspect().processes, 1, 'the forged slot was freed; ours was not');
    t.truthy(lock.tryRead(), 'and our own slot still works');
  },
);
