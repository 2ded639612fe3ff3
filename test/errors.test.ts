import test from 'ava';
import * as fs from 'node:fs';
import { writeFileSync, chmodSync } from 'node:fs';
import { InterlockError, LockTimeoutError, NamedEvent, RwLock, SharedMemory } from 'interlocked';
import { spawnSync } from 'node:child_process';
import { Agent, AgentError, fixturePath } from './helpers/agent.js';
import { backingFile, isWindows, uniqueName, unlinkAll } from './helpers/names.js';

const badNames: unknown[] = ['', 'a/b', 'a b', 'ünï', 'x'.repeat(201), '..\\x', 42, undefined, null];

test('ERR_INVALID_NAME for every kind of object, before any system call', (t) => {
  for (const name of badNames) {
    for (const open of [
      () => RwLock.open(name as string),
      () => NamedEvent.open(name as string),
      () => SharedMemory.open(name as string, { size: 64 }),
      () => SharedMemory.unlink(name as string),
      () => RwLock.unlink(name as string),
    ]) {
      const error = t.throws(open, { instanceOf: InterlockError, code: 'ERR_INVALID_NAME' });
      t.regex(error!.message, /1 to 200 characters of A-Z, a-z, 0-9, '\.', '_' and '-'/);
    }
  }
  t.notThrows(() => {
    const name = `ok.${'x'.repeat(190)}_-`;
    RwLock.open(name).close();
    RwLock.unlink(name);
  });
});

test('ERR_INVALID_ARG for bad sizes, timeouts, modes, scopes, signals and options', async (t) => {
  const name = uniqueName('args');
  t.teardown(() => unlinkAll(name));
  const invalid = { instanceOf: InterlockError, code: 'ERR_INVALID_ARG' } as const;
  for (const size of [0, -1, 1.5, NaN, Infinity, '4096', 2 ** 60]) {
    t.throws(() => SharedMemory.open(name, { size: size as number }), {
      ...invalid,
      message: /options\.size must be an integer/,
    });
  }
  t.throws(() => SharedMemory.open(name, { create: 'yes' as never, size: 64 }), {
    ...invalid,
    message: /options\.create/,
  });
  t.throws(() => SharedMemory.open(name, { create: 'exclusive' }), { ...invalid, message: /size is required/ });
  for (const mode of [-1, 0o1000, 1.5, '600']) {
    t.throws(() => RwLock.open(name, { mode: mode as number }), { ...invalid, message: /options\.mode/ });
  }
  t.throws(() => RwLock.open(name, { scope: 'session' as never }), { ...invalid, message: /options\.scope/ });
  for (const maxProcesses of [0, 1025, 2.5, '8']) {
    t.throws(() => RwLock.open(name, { maxProcesses: maxProcesses as number }), {
      ...invalid,
      message: /maxProcesses/,
    });
  }
  t.throws(() => RwLock.open(name, 'options' as never), { ...invalid, message: /options must be an object/ });
  t.throws(() => NamedEvent.open(name, { manualReset: 'no' as never }), { ...invalid, message: /manualReset/ });
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  for (const timeout of [-1, NaN, '10', null]) {
    await t.throwsAsync(lock.read({ timeout: timeout as number }), { ...invalid, message: /options\.timeout/ });
  }
  await t.throwsAsync(lock.write({ signal: {} as AbortSignal }), { ...invalid, message: /options\.signal/ });
  const event = NamedEvent.open(name);
  t.teardown(() => event.close());
  await t.throwsAsync(event.wait({ timeout: -5 }), invalid);
  t.deepEqual(lock.inspect().waiting, { readers: 0, writers: 0 }, 'nothing was queued');
});

test('ERR_LOCK_TIMEOUT is a LockTimeoutError', async (t) => {
  const name = uniqueName('timeoutclass');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const g = await lock.write();
  const e = await t.throwsAsync(lock.write({ timeout: 10 }));
  t.true(e instanceof LockTimeoutError && e instanceof InterlockError);
  t.is((e as InterlockError).code, 'ERR_LOCK_TIMEOUT');
  g.release();
});

// Forging a foreign object needs its backing file: Linux only (Windows kernel objects have no file).
(isWindows ? test.skip : test)('ERR_INCOMPATIBLE for a foreign, truncated or other-version segment', (t) => {
  const name = uniqueName('foreign');
  t.teardown(() => unlinkAll(name));
  writeFileSync(backingFile('lock', name), 'not a lock at all');
  t.throws(() => RwLock.open(name), { code: 'ERR_INCOMPATIBLE' });
  writeFileSync(backingFile('event', name), Buffer.alloc(4096, 0xab));
  t.throws(() => NamedEvent.open(name), { code: 'ERR_INCOMPATIBLE' });
  // A real lock whose header claims another ABI version.
  RwLock.unlink(name);
  RwLock.open(name).close();
  const path = backingFile('lock', name);
  const fd = fs.openSync(path, 'r+');
  fs.writeSync(fd, Buffer.from([99, 0, 0, 0]), 0, 4, 4); // version field
  fs.closeSync(fd);
  t.throws(() => RwLock.open(name), { code: 'ERR_INCOMPATIBLE', message: /another version/ });
});

test('ERR_TOO_MANY_PROCESSES when every slot is held by a live process; a dead one is reused', async (t) => {
  const name = uniqueName('slots');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name, { maxProcesses: 2 });
  t.teardown(() => lock.close());
  const a = await Agent.start();
  const b = await Agent.start();
  t.teardown(() => Promise.all([a.stop(), b.stop()]));
  await a.call('open', { lock: name });
  const error = await t.throwsAsync<AgentError>(b.call('open', { lock: name }));
  t.is(error?.code, 'ERR_TOO_MANY_PROCESSES');
  t.is(lock.inspect().maxProcesses, 2);
  await a.kill();
  await b.call('open', { lock: name });
  t.is(lock.inspect().processes, 2);
});

test('ERR_CLOSED after close, ERR_NOT_HELD on a wrong or released guard', async (t) => {
  const name = uniqueName('closed');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  const r = await lock.read();
  t.throws(() => r.downgrade(), {
    code: 'ERR_NOT_HELD',
    message: /downgrade\(\) needs a held write guard; this guard is a read guard/,
  });
  t.throws(() => r.markConsistent(), { code: 'ERR_NOT_HELD' });
  r.release();
  const w = await lock.write();
  w.release();
  t.throws(() => w.downgrade(), { code: 'ERR_NOT_HELD', message: /released/ });
  t.throws(() => w.markConsistent(), { code: 'ERR_NOT_HELD' });
  lock.close();
  t.throws(() => lock.tryRead(), { code: 'ERR_CLOSED' });
  t.throws(() => lock.inspect(), { code: 'ERR_CLOSED' });
  await t.throwsAsync(lock.write(), { code: 'ERR_CLOSED' });
  await t.throwsAsync(
    lock.withRead(() => 1),
    { code: 'ERR_CLOSED' },
  );
});

// POSIX modes and uids: Wine does not enforce Windows object security, so nothing is refused there.
(isWindows ? test.skip : test)(
  'ERR_PERMISSION (with the system error as cause) when the OS refuses access',
  async (t) => {
    const name = uniqueName('perm');
    t.teardown(() => unlinkAll(name));
    const memory = SharedMemory.open(name, { size: 64, mode: 0o600 });
    t.teardown(() => memory.close());
    const check = (e: { code?: string }) => t.is(e.code, 'ERR_PERMISSION');
    if (process.getuid?.() === 0) {
      // root bypasses file modes: ask as an unprivileged user instead. That user must be able to
      // read this checkout (a clone under a 0700 directory, as mktemp -d makes, is not readable).
      const readable = spawnSync(
        process.execPath,
        ['-e', `require('fs').accessSync(${JSON.stringify(fixturePath('agent'))}, require('fs').constants.R_OK)`],
        { uid: 65534, gid: 65534 },
      );
      if (readable.status !== 0) {
        t.log('skipped: the unprivileged user (65534) cannot read this checkout');
        t.pass();
        return;
      }
      const agent = await Agent.start({ uid: 65534, gid: 65534 });
      t.teardown(() => agent.stop());
      const e = await t.throwsAsync<AgentError>(
        agent.call('acquire', { lock: name, mode: 'read', key: 'k', ticket: name }),
      );
      check(e!);
    } else {
      chmodSync(backingFile('mem', name), 0o000);
      const e = t.throws<InterlockError>(() => SharedMemory.open(name));
      check(e!);
      t.is((e!.cause as NodeJS.ErrnoException).errno, 13);
    }
  },
);
