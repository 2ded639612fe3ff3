// One copy of interlocked per process, however it is loaded: the ESM entries re-export the CommonJS
// build, so require() and import() give the same module objects, and the state behind them (the
// binding and its completion table, held locks, the default LockManager) exists once.
import test from 'ava';
import { createRequire } from 'node:module';
import { Piscina } from 'piscina';
import * as esm from 'interlocked';
import * as esmPiscina from 'interlocked/piscina';
import { uniqueName, unlinkAll } from './helpers/names.js';

const require = createRequire(import.meta.url);
const cjs = require('interlocked') as typeof esm;
const cjsPiscina = require('interlocked/piscina') as typeof esmPiscina;

test('require() and import() give the same objects, and the ESM entries name every export', (t) => {
  for (const [label, viaImport, viaRequire] of [
    ['interlocked', esm, cjs],
    ['interlocked/piscina', esmPiscina, cjsPiscina],
  ] as const) {
    // An ES module namespace lists its exports; the CommonJS exports are the module's own keys.
    t.deepEqual(Object.keys(viaImport), Object.keys(viaRequire).sort(), `${label}: the same export names`);
    for (const [name, value] of Object.entries(viaImport)) {
      t.is(value, (viaRequire as Record<string, unknown>)[name], `${label}: ${name} is one object`);
    }
  }
  t.is(esm.RwLock, cjs.RwLock);
  t.is(esm.locks, cjs.locks);
  t.is(esm.InterlockError, cjs.InterlockError);
});

test('a lock held through one entry is held through the other', async (t) => {
  const name = uniqueName('single-copy');
  t.teardown(() => unlinkAll(name));
  const viaRequire = cjs.RwLock.open(name);
  const guard = viaRequire.tryWrite();
  t.truthy(guard);
  t.true(guard instanceof esm.LockGuard);
  const viaImport = esm.RwLock.open(name);
  t.is(viaImport.tryRead(), null);
  guard!.release();
  viaImport.tryRead()!.release();
  viaImport.close();
  viaRequire.close();

  // The default LockManager: a request made through require() is in the import() one's snapshot.
  await cjs.locks.request(name, async () => {
    const { held } = await esm.locks.query();
    t.true(held.some((l) => l.name === name));
  });
  t.throws(() => esm.RwLock.open('not a name'), { instanceOf: cjs.InterlockError, code: 'ERR_INVALID_NAME' });
});

test('a CommonJS Piscina worker file, run from both entries', async (t) => {
  const name = uniqueName('single-copy-pisc');
  t.teardown(() => unlinkAll(name));
  const pool = new Piscina({
    filename: require.resolve('./fixtures/piscina-task-cjs.cjs'),
    minThreads: 0,
    maxThreads: 1,
  });
  t.teardown(() => pool.destroy());
  for (const runLocked of [esmPiscina.runLocked, cjsPiscina.runLocked]) {
    const result = await runLocked<Record<string, unknown>>(pool, { lock: name, mode: 'write', data: name });
    t.like(result, { mode: 'write', guardIsEsmClass: true, sameIndex: true, samePiscina: true, heldForEsm: true });
  }
});
