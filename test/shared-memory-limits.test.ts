// SharedMemory at the edges: sizes past what one Buffer can view, a /dev/shm too small for the
// segment, and a creator that stalls while another process opens the same name. Each gets a typed
// error or works; none may crash the process (the scenarios run in child processes so that a crash
// is reported as one).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { MAX_SHARED_MEMORY_SIZE, SharedMemory } from 'interlocked';
import { backingFile, isWindows, sleep, uniqueName, unlinkAll } from './helpers/names.js';
import { Snippet, runSnippet } from './helpers/snippet.js';

const MiB = 1024 * 1024;

function scenario(code: string, options: ConstructorParameters<typeof Snippet>[1] = {}) {
  return runSnippet(
    `import { SharedMemory, RwLock, NamedEvent, MAX_SHARED_MEMORY_SIZE } from 'interlocked';
     const report = (f) => { try { const r = f(); console.log(JSON.stringify({ ok: r ?? true })); }
       catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); } };
     ${code}`,
    options,
  );
}

function lines(stdout: string): unknown[] {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown);
}

test('a size past the largest Buffer is ERR_OUT_OF_RANGE, before anything is created', async (t) => {
  const name = uniqueName('huge');
  t.teardown(() => unlinkAll(name));
  t.is(MAX_SHARED_MEMORY_SIZE, (await import('node:buffer')).constants.MAX_LENGTH);
  const r = await scenario(`
    report(() => SharedMemory.open(${JSON.stringify(name)}, { size: 2 ** 32 + 1 }));
    report(() => SharedMemory.open(${JSON.stringify(name)}, { size: MAX_SHARED_MEMORY_SIZE + 1 }));
    report(() => SharedMemory.open(${JSON.stringify(name)}, { size: 2 ** 53 }));
    report(() => SharedMemory.open(${JSON.stringify(name)}, { size: 4096, create: false }));`);
  t.is(r.code, 0, `the process survived: ${r.signal ?? ''} ${r.stderr}`);
  const [a, b, c, d] = lines(r.stdout) as { code?: string }[];
  t.is(a?.code, 'ERR_OUT_OF_RANGE');
  t.is(b?.code, 'ERR_OUT_OF_RANGE');
  t.is(c?.code, 'ERR_OUT_OF_RANGE');
  t.is(d?.code, 'ERR_NOT_FOUND', 'nothing was left under the name');
});

// A segment of 4 GiB + 1 made by hand (sparse): Linux only.
(isWindows ? test.skip : test)(
  'an existing segment larger than the largest Buffer is refused with ERR_INCOMPATIBLE, not a crash',
  async (t) => {
    const name = uniqueName('hugeexisting');
    t.teardown(() => unlinkAll(name));
    const fd = openSync(backingFile('mem', name), 'w', 0o600);
    ftruncateSync(fd, 2 ** 32 + 1);
    closeSync(fd);
    const r = await scenario(`
      report(() => SharedMemory.open(${JSON.stringify(name)}));
      report(() => SharedMemory.open(${JSON.stringify(name)}, { size: 10 }));`);
    t.is(r.code, 0, `the process survived: ${r.signal ?? ''} ${r.stderr}`);
    t.like(lines(r.stdout), [{ code: 'ERR_INCOMPATIBLE' }, { code: 'ERR_INCOMPATIBLE' }]);
  },
);

// A private /dev/shm of 64 MiB, as in a container: needs a mount namespace (root).
const smallShm = ['unshare', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=64m tmpfs /dev/shm && exec "$0" "$@"'];
const canMount = !isWindows && spawnSync(smallShm[0]!, [...smallShm.slice(1), 'true']).status === 0;

(canMount ? test : test.skip)(
  'on a small /dev/shm, memory that does not fit is ERR_NO_SPACE at open, not SIGBUS at first write',
  async (t) => {
    const r = await scenario(
      `
    const fill = (m) => { for (let i = 0; i < m.size; i += 4096) m.buffer[i] = 1; return m.size; };
    report(() => fill(SharedMemory.open('first', { size: ${40 * MiB} })));
    report(() => fill(SharedMemory.open('second', { size: ${32 * MiB} })));
    report(() => SharedMemory.open('second', { create: false }));
    report(() => fill(SharedMemory.open('third', { size: ${20 * MiB} })));
    report(() => { RwLock.open('lock').tryWrite().release(); NamedEvent.open('event'); return 'lock ok'; });
    report(() => fill(SharedMemory.open('fourth', { size: ${8 * MiB} })));
    report(() => RwLock.open('lock2'));
    // Opening what exists costs no new memory, even with /dev/shm full, in another process too.
    report(() => SharedMemory.open('first', { size: ${40 * MiB} }).size);
    report(() => { RwLock.open('lock').tryWrite().release(); NamedEvent.open('event').set(); return 'reopened'; });
    const { execFileSync } = await import('node:child_process');
    const again = "import { SharedMemory, RwLock } from 'interlocked';" +
      "SharedMemory.open('first', { size: ${40 * MiB} }); RwLock.open('lock').tryRead().release(); console.log('ok')";
    report(() => execFileSync(process.execPath, ['--input-type=module', '-e', again], { encoding: 'utf8' }).trim());`,
      { wrap: smallShm },
    );
    t.is(r.signal, null, `no SIGBUS: ${r.stderr}`);
    t.is(r.code, 0, r.stderr);
    const [first, second, gone, third, lock, fourth, lock2, reopenedMemory, reopened, otherProcess] = lines(
      r.stdout,
    ) as { ok?: unknown; code?: string }[];
    t.deepEqual(reopenedMemory, { ok: 40 * MiB }, 'an existing segment opens with /dev/shm full');
    t.deepEqual(reopened, { ok: 'reopened' });
    t.deepEqual(otherProcess, { ok: 'ok' });
    t.deepEqual(first, { ok: 40 * MiB });
    t.is(second?.code, 'ERR_NO_SPACE', 'the second segment does not fit');
    t.is(gone?.code, 'ERR_NOT_FOUND', 'and nothing half-made is left under its name');
    t.deepEqual(third, { ok: 20 * MiB }, 'what fits still works');
    t.deepEqual(lock, { ok: 'lock ok' });
    t.is(fourth?.code, 'ERR_NO_SPACE');
    t.true(
      lock2?.code === 'ERR_NO_SPACE' || lock2?.ok !== undefined,
      'a lock segment that does not fit is a typed error too',
    );
  },
);

// The stall hook (INTERLOCK_STALL_AT) and the backing files are POSIX.
(isWindows ? test.skip : test)(
  'a creator stalled before its segment is published, and an opener that asks for more: both work',
  async (t) => {
    const name = uniqueName('stalledcreator');
    t.teardown(() => unlinkAll(name));
    const creator = new Snippet(
      `import { SharedMemory } from 'interlocked';
       const m = SharedMemory.open(${JSON.stringify(name)}, { size: 4096 });
       m.buffer[4095] = 1;
       process.send({ size: m.size, created: m.created, last: m.buffer[${MiB - 1}] });`,
      { env: { INTERLOCK_STALL_AT: 'segment-created' } },
    );
    t.teardown(() => creator.kill());
    // Wait until it has stopped itself half way through creating.
    for (let i = 0; i < 400 && !/\) T /.test(readStat(creator.child.pid!)); i++) await sleep(5);
    t.regex(readStat(creator.child.pid!), /\) T /, 'the creator is stopped');
    const r = await scenario(`
      const m = SharedMemory.open(${JSON.stringify(name)}, { size: ${MiB} });
      m.buffer[${MiB - 1}] = 9;
      console.log(JSON.stringify({ ok: { size: m.size, created: m.created } }));`);
    t.is(r.signal, null, `no SIGBUS: ${r.stderr}`);
    t.deepEqual(lines(r.stdout), [{ ok: { size: MiB, created: true } }], 'the opener made the segment it asked for');
    creator.child.kill('SIGCONT');
    t.deepEqual(
      await creator.next(),
      { size: MiB, created: false, last: 9 },
      'the resumed creator finds the published segment and uses it',
    );
    const { signal } = await creator.result;
    t.is(signal, null);
  },
);

(isWindows ? test.skip : test)(
  'an empty segment someone else left under the name is ERR_INCOMPATIBLE, and stays untouched',
  async (t) => {
    const name = uniqueName('emptyforeign');
    t.teardown(() => unlinkAll(name));
    const file = backingFile('mem', name);
    writeFileSync(file, '', { mode: 0o600 });
    // As an older creator that stalled between creating and sizing: it sizes the file later, to 4 KiB.
    const opener = new Snippet(`
      import { SharedMemory } from 'interlocked';
      try {
        const m = SharedMemory.open(${JSON.stringify(name)}, { size: ${MiB} });
        process.send('opened');
        await new Promise((resolve) => process.once('message', resolve));
        m.buffer[${MiB - 1}] = 1; // past the end if the file shrank under the mapping: SIGBUS
        process.send('wrote');
      } catch (e) {
        process.send(e.code);
      }`);
    t.teardown(() => opener.kill());
    const first = await opener.next();
    if (first === 'opened') {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, 4096);
      closeSync(fd);
      opener.send('write');
    }
    const { signal } = await opener.result;
    t.is(signal, null, 'no SIGBUS');
    t.is(first, 'ERR_INCOMPATIBLE');
    t.is(statSync(file).size, 0, 'the opener did not size a segment it did not create');
  },
);

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

test('every SharedMemory created with a size is fully usable at once', (t) => {
  const name = uniqueName('usable');
  t.teardown(() => unlinkAll(name));
  const m = SharedMemory.open(name, { size: 3 * MiB + 5 });
  t.teardown(() => m.close());
  t.true(m.created);
  t.is(m.size, 3 * MiB + 5);
  m.buffer.fill(0xab);
  t.is(m.buffer[m.size - 1], 0xab);
});
