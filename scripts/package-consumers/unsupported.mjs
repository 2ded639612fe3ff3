// A consumer on a platform without native support (macOS, FreeBSD, ...): run with a preload that
// makes process.platform say so. The package imports, its pure-JavaScript parts load, and every
// native object throws ERR_UNSUPPORTED_PLATFORM naming the platform and the supported ones.
import assert from 'node:assert/strict';
import { InterlockError, LockManager, NamedEvent, RwLock, SharedMemory, locks } from 'interlocked';
import { runLocked } from 'interlocked/piscina';

assert.equal(typeof runLocked, 'function');
assert.ok(locks instanceof LockManager);
for (const use of [
  () => RwLock.open('x'),
  () => SharedMemory.open('x', { size: 16 }),
  () => NamedEvent.open('x'),
  () => RwLock.unlink('x'),
]) {
  assert.throws(use, (e) => {
    assert.ok(e instanceof InterlockError);
    assert.equal(e.code, 'ERR_UNSUPPORTED_PLATFORM');
    assert.match(e.message, new RegExp(`${process.platform}-${process.arch}`));
    assert.match(e.message, /linux-x64 \(glibc\).*win32-x64/);
    return true;
  });
}
await assert.rejects(
  locks.request('x', () => 1),
  { code: 'ERR_UNSUPPORTED_PLATFORM' },
);
console.log(`unsupported ok (${process.platform})`);
