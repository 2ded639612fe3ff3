import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import { writeFileSync, chmodSync } from 'node:fs';
import { InterlockError, LockTimeoutError, NamedEvent, RwLock, SharedMemory } from 'interlocked';
import { spawnSync } from 'node:child_process';
import { Agent, AgentError, fixturePath } from './helpers/agent.js';
import { backingFile, isWindows, uniqueName, unlinkAll } from './helpers/names.js';

const badNames = ['', 'a/b', 'a b', 'ünï', 'x'.repeat(201), '..\\x'];

test('ERR_INVALID_NAME (a TypeError) for every kind of object, before any system call', (t) => {
  for (const name of badNames) {
    for (const open of [
      () => RwLock.open(name),
      () => NamedEvent.open(name),
      () => SharedMemory.open(name, { size: 64 }),
      () => SharedMemory.unlink(name),
      () => RwLock.unlink(name),
    ]) {
      const error = t.throws(open, { instanceOf: TypeError, code: 'ERR_INVALID_NAME' });
      t.true(error instanceof InterlockError);
      t.regex(error!.message, /1 to 200 characters of A-Z, a-z, 0-9, '\.', '_' and '-'/);
    }
  }
  for (const name of [42, undefined, null, {}]) {
    const error = t.throws(() => RwLock.open(name as string), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' });
    t.regex(error!.message, /^The "name" argument must be of type string\. Received /);
  }
  t.notThrows(() => {
    const name = `ok.${'x'.repeat(190)}_-`;
    RwLock.open(name).close();
    RwLock.unlink(name);
  });
});

// What Node core throws for the same mistakes: the class, the code, a message that names the
// argument and shows the value received.
type Shape = [TypeErrorConstructor | RangeErrorConstructor, string, RegExp];
const type = (re: RegExp): Shape => [TypeError, 'ERR_INVALID_ARG_TYPE', re];
const value = (re: RegExp): Shape => [TypeError, 'ERR_INVALID_ARG_VALUE', re];
const range = (re: RegExp): Shape => [RangeError, 'ERR_OUT_OF_RANGE', re];

function checkShape(t: ExecutionContext, error: unknown, [klass, code, message]: Shape, what: string): void {
  t.true(error instanceof klass, `${what}: ${String(error)} is a ${klass.name}`);
  t.true(error instanceof InterlockError, `${what}: and an InterlockError`);
  t.is((error as { code?: string }).code, code, what);
  t.is((error as Error).name, klass.name, what);
  t.regex((error as Error).message, message, what);
  t.regex(
    (error as Error).stack ?? '',
    new RegExp(`^${klass.name} \\[${code}\\]: `),
    `${what}: stack header as Node's`,
  );
}

test('bad arguments throw what Node core throws: TypeError / RangeError with its codes and messages', async (t) => {
  const name = uniqueName('args');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const event = NamedEvent.open(name);
  t.teardown(() => event.close());
  const cases: [string, () => unknown, Shape][] = [
    [
      'size 0',
      () => SharedMemory.open(name, { size: 0 }),
      range(/^The value of "options\.size" is out of range\. It must be an integer from 1 to \d+\. Received 0$/),
    ],
    ['size -1', () => SharedMemory.open(name, { size: -1 }), range(/Received -1$/)],
    ['size 1.5', () => SharedMemory.open(name, { size: 1.5 }), range(/Received 1\.5$/)],
    ['size NaN', () => SharedMemory.open(name, { size: NaN }), range(/Received NaN$/)],
    ['size Infinity', () => SharedMemory.open(name, { size: Infinity }), range(/Received Infinity$/)],
    ['size 2^60', () => SharedMemory.open(name, { size: 2 ** 60 }), range(/options\.size/)],
    [
      "size '4096'",
      () => SharedMemory.open(name, { size: '4096' as never }),
      type(/^The "options\.size" property must be of type number\. Received type string \('4096'\)$/),
    ],
    [
      "create 'yes'",
      () => SharedMemory.open(name, { create: 'yes' as never, size: 64 }),
      value(/^The property 'options\.create' must be one of: true, false, 'exclusive'\. Received 'yes'$/),
    ],
    [
      'exclusive without size',
      () => SharedMemory.open(name, { create: 'exclusive' }),
      value(/options\.size' is required with create: 'exclusive'/),
    ],
    ['mode -1', () => RwLock.open(name, { mode: -1 }), range(/"options\.mode".*Received -1$/)],
    ['mode 0o1000', () => RwLock.open(name, { mode: 0o1000 }), range(/Received 512$/)],
    [
      "mode '600'",
      () => RwLock.open(name, { mode: '600' as never }),
      type(/"options\.mode" property must be of type number\. Received type string \('600'\)/),
    ],
    [
      "scope 'session'",
      () => RwLock.open(name, { scope: 'session' as never }),
      value(/^The property 'options\.scope' must be one of: 'local', 'global'\. Received 'session'$/),
    ],
    [
      'scope 1',
      () => RwLock.open(name, { scope: 1 as never }),
      type(/"options\.scope" property must be of type string\. Received type number \(1\)/),
    ],
    [
      'maxProcesses 0',
      () => RwLock.open(name, { maxProcesses: 0 }),
      range(/"options\.maxProcesses" is out of range\. It must be an integer from 1 to 1024\. Received 0$/),
    ],
    ['maxProcesses 1025', () => RwLock.open(name, { maxProcesses: 1025 }), range(/Received 1025$/)],
    ["maxProcesses '8'", () => RwLock.open(name, { maxProcesses: '8' as never }), type(/Received type string \('8'\)/)],
    [
      "options 'options'",
      () => RwLock.open(name, 'options' as never),
      type(/^The "options" argument must be of type object\. Received type string \('options'\)$/),
    ],
    ['options null', () => RwLock.open(name, null as never), type(/Received null$/)],
    [
      'unknown key',
      () => RwLock.open(name, { maxProcess: 4 } as never),
      value(
        /^The argument 'options' has an unknown key "maxProcess" \(the known ones are .*\)\. Received \{ maxProcess: 4 \}$/,
      ),
    ],
    [
      "manualReset 'no'",
      () => NamedEvent.open(name, { manualReset: 'no' as never }),
      type(/"options\.manualReset" property must be of type boolean\. Received type string \('no'\)/),
    ],
    [
      'timeout -1',
      () => lock.read({ timeout: -1 }),
      range(/^The value of "options\.timeout" is out of range\. It must be >= 0 .*Received -1$/),
    ],
    ['timeout NaN', () => lock.write({ timeout: NaN }), range(/Received NaN$/)],
    [
      "timeout '10'",
      () => lock.read({ timeout: '10' as never }),
      type(/"options\.timeout" property must be of type number\. Received type string \('10'\)/),
    ],
    ['timeout null', () => lock.read({ timeout: null as never }), type(/Received null$/)],
    [
      'signal {}',
      () => lock.write({ signal: {} as AbortSignal }),
      type(/^The "options\.signal" property must be an instance of AbortSignal\. Received an instance of Object$/),
    ],
    ['event timeout -5', () => event.wait({ timeout: -5 }), range(/options\.timeout/)],
    [
      'withWrite(42)',
      () => lock.withWrite(42 as never),
      type(/^The "fn" argument must be of type function\. Received type number \(42\)$/),
    ],
  ];
  for (const [what, call, shape] of cases) {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    checkShape(t, error, shape, what);
  }
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
  "an OS refusal is Node's system error: code 'EACCES', negative errno, syscall, the object's path",
  async (t) => {
    const name = uniqueName('perm');
    t.teardown(() => unlinkAll(name));
    const memory = SharedMemory.open(name, { size: 64, mode: 0o600 });
    t.teardown(() => memory.close());
    const path = backingFile('mem', name);
    const script =
      `import { SharedMemory, InterlockError } from 'interlocked';` +
      `try { SharedMemory.open(${JSON.stringify(name)}); console.log('{}'); } catch (e) {` +
      ` console.log(JSON.stringify({ interlock: e instanceof InterlockError, code: e.code, errno: e.errno,` +
      ` syscall: e.syscall, path: e.path, message: e.message })); }`;
    let uid: { uid?: number; gid?: number } = {};
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
      uid = { uid: 65534, gid: 65534 };
    } else {
      chmodSync(path, 0o000);
    }
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', ...uid });
    t.is(child.status, 0, child.stderr);
    const e = JSON.parse(child.stdout) as Record<string, unknown>;
    t.like(e, { interlock: true, code: 'EACCES', errno: -13, path });
    t.regex(String(e.syscall), /^(shm_)?open$/);
    t.regex(
      String(e.message),
      new RegExp(`^EACCES: .*${name}.*, ${String(e.syscall)} '${path.replace(/\./g, '\\.')}'$`),
    );
  },
);

test("the README's table lists every code the library has, and no other", (t) => {
  const root = new URL('../', import.meta.url);
  const source = fs.readFileSync(new URL('src/errors.ts', root), 'utf8');
  const union = (type: string) => {
    const body = new RegExp(`export type ${type} =([^;]+);`).exec(source)?.[1] ?? '';
    return [...body.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]!);
  };
  const codes = [...union('InterlockErrorCode'), ...union('ArgumentErrorCode')].sort();
  t.true(codes.length >= 15, `found the code unions in src/errors.ts (${codes.length})`);
  const readme = fs.readFileSync(new URL('README.md', root), 'utf8');
  const section = readme.slice(readme.indexOf('### Errors'), readme.indexOf('### Piscina'));
  const listed = [...section.matchAll(/^\| `(ERR_[A-Z_]+)`/gm)].map((m) => m[1]!).sort();
  t.deepEqual(listed, codes);
});
