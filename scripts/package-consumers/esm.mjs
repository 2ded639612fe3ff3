// An ESM consumer of the installed tarball: every entry point loads from the prebuild, and a lock
// excludes a second process. Prints "esm ok".
import { fork } from 'node:child_process';
import assert from 'node:assert/strict';
import { InterlockError, LockManager, LockTimeoutError, NamedEvent, RwLock, SharedMemory, locks } from 'interlocked';
import { runLocked, lockedTask } from 'interlocked/piscina';
import pkg from 'interlocked/package.json' with { type: 'json' };

const [role, name] = process.argv.slice(2);
if (role === 'child') {
  // The parent holds the write lock: a bounded wait times out, a later one gets it.
  const lock = RwLock.open(name);
  await assert.rejects(lock.write({ timeout: 100 }), LockTimeoutError);
  process.send('timed out');
  const guard = await lock.write({ timeout: 10_000 });
  guard.release();
  lock.close();
  process.exit(0);
}

assert.equal(typeof runLocked, 'function');
assert.equal(typeof lockedTask, 'function');
assert.ok(locks instanceof LockManager);
assert.equal(pkg.name, 'interlocked');

const base = `pkg-esm-${process.pid}`;
const memory = SharedMemory.open(base, { size: 4096 });
memory.buffer.write('hello', 0);
const again = SharedMemory.open(base);
assert.equal(again.buffer.toString('utf8', 0, 5), 'hello');
again.close();
memory.close();
SharedMemory.unlink(base);

const event = NamedEvent.open(base);
event.set();
assert.equal(await event.wait({ timeout: 1000 }), true);
event.close();
NamedEvent.unlink(base);

assert.throws(
  () => RwLock.open('no spaces allowed'),
  (e) => e instanceof InterlockError && e.code === 'ERR_INVALID_NAME',
);

const lock = RwLock.open(base);
const guard = await lock.write();
assert.equal(lock.tryRead(), null);
const child = fork(new URL(import.meta.url), ['child', base]);
await new Promise((resolve) => child.once('message', resolve));
guard.release();
const [code] = await new Promise((resolve) => child.once('exit', (...a) => resolve(a)));
assert.equal(code, 0);
lock.close();
RwLock.unlink(base);
console.log('esm ok');
