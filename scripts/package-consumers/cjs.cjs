// A CommonJS consumer: require() of the package gets its CommonJS build. Prints "cjs ok".
const assert = require('node:assert/strict');
const { RwLock, SharedMemory } = require('interlocked');
const { runLocked } = require('interlocked/piscina');

assert.equal(typeof runLocked, 'function');
const name = `pkg-cjs-${process.pid}`;
const lock = RwLock.open(name);
const guard = lock.tryWrite();
assert.ok(guard, 'an unheld lock is taken at once');
assert.equal(lock.tryWrite(), null, 'and then it is held');
guard.release();
lock.close();
RwLock.unlink(name);
const memory = SharedMemory.open(name, { size: 64 });
assert.equal(memory.buffer.length, 64);
memory.close();
SharedMemory.unlink(name);
console.log('cjs ok');
