// One copy per process, from the installed package: require() and import() of each entry give the
// same objects, the ESM wrappers name exactly the CommonJS exports, and a lock held through one
// entry is held through the other. Prints "single copy ok".
const assert = require('node:assert/strict');

(async () => {
  for (const entry of ['interlocked', 'interlocked/piscina']) {
    const viaRequire = require(entry);
    const viaImport = await import(entry);
    assert.deepEqual(Object.keys(viaImport), Object.keys(viaRequire).sort(), `${entry}: the same export names`);
    for (const [name, value] of Object.entries(viaImport)) assert.equal(value, viaRequire[name], `${entry}: ${name}`);
  }
  const cjs = require('interlocked');
  const esm = await import('interlocked');
  assert.equal(cjs.RwLock, esm.RwLock);
  assert.equal(cjs.locks, esm.locks);
  assert.equal(cjs.InterlockError, esm.InterlockError);

  const name = `pkg-single-${process.pid}`;
  const held = cjs.RwLock.open(name);
  const guard = held.tryWrite();
  assert.ok(guard instanceof esm.LockGuard);
  const other = esm.RwLock.open(name);
  assert.equal(other.tryRead(), null);
  guard.release();
  await cjs.locks.request(name, async () => {
    const { held: requests } = await esm.locks.query();
    assert.ok(requests.some((l) => l.name === name));
  });
  other.close();
  held.close();
  cjs.RwLock.unlink(name);
  assert.throws(() => esm.RwLock.open('no spaces'), cjs.InterlockError);
  console.log('single copy ok');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
