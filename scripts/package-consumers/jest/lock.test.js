// A Jest 29 test of the installed package, default config: Jest's own module loader requires the
// CommonJS build (it does not do require(esm)). Takes and releases a lock, finds it contended from
// a second handle, and round-trips bytes through shared memory.
const { InterlockError, LockTimeoutError, RwLock, SharedMemory, locks } = require('interlocked');
const { runLocked } = require('interlocked/piscina');

const name = `pkg-jest-${process.pid}`;

afterAll(() => {
  RwLock.unlink(name);
  SharedMemory.unlink(name);
});

test('a lock is taken, contended and released', async () => {
  const lock = RwLock.open(name);
  const guard = await lock.write({ timeout: 1000 });
  expect(guard.mode).toBe('write');
  const other = RwLock.open(name);
  expect(other.tryWrite()).toBeNull();
  expect(other.tryRead()).toBeNull();
  await expect(other.write({ timeout: 50 })).rejects.toBeInstanceOf(LockTimeoutError);
  guard.release();
  const again = other.tryWrite();
  expect(again).not.toBeNull();
  again.release();
  other.close();
  lock.close();
});

test('LockManager and errors', async () => {
  await expect(locks.request(`${name}-m`, async (l) => l.mode)).resolves.toBe('exclusive');
  expect(() => RwLock.open('no spaces')).toThrow(InterlockError);
  expect(typeof runLocked).toBe('function');
});

test('shared memory', () => {
  const memory = SharedMemory.open(name, { size: 64 });
  memory.buffer.write('hello', 0);
  const again = SharedMemory.open(name);
  expect(again.buffer.toString('utf8', 0, 5)).toBe('hello');
  again.close();
  memory.close();
});
