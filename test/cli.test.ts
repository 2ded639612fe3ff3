// The `interlocked` command: every command, its help, its output, its exit codes and bad arguments.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LockManager, NamedEvent, RwLock, SharedMemory } from 'interlocked';
import { Agent } from './helpers/agent.js';
import { backingFile, isWindows, sleep, uniqueName, unlinkAll, unlinkPrefix } from './helpers/names.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help for the tool and for each command, exit 0', (t) => {
  for (const args of [[], ['--help'], ['-h'], ['help']]) {
    const r = run(...args);
    t.is(r.code, 0, args.join(' '));
    t.regex(r.stdout, /usage: interlocked <command>/);
    t.regex(r.stdout, /exit codes:/);
  }
  for (const command of ['ls', 'inspect', 'unlink', 'watch']) {
    const r = run(command, '--help');
    t.is(r.code, 0, command);
    t.regex(r.stdout, new RegExp(`usage: interlocked ${command}`));
  }
});

test('bad command lines exit 2 and say what is wrong', (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['bogus'], /unknown command 'bogus'/],
    [['ls', '--bogus'], /Unknown option '--bogus'/],
    [['ls', 'extra'], /Unexpected argument 'extra'/],
    [['inspect'], /inspect takes exactly one name/],
    [['inspect', 'a', 'b'], /inspect takes exactly one name/],
    [['inspect', 'bad name!'], /ERR_INVALID_NAME/],
    [['unlink', 'x', '--kind', 'table'], /--kind must be one of lock, event, memory/],
    [['watch', 'x', '--interval', '5'], /--interval must be a whole number/],
    [['watch', 'x', '--interval', 'soon'], /--interval must be a whole number/],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, message, args.join(' '));
    t.is(r.stdout, '', 'nothing on stdout');
  }
});

test('inspect: the holder as a table and as JSON; a missing lock exits 4 and is not created', async (t) => {
  const name = uniqueName('cli-inspect');
  t.teardown(() => unlinkAll(name));
  const agent = await Agent.start();
  t.teardown(() => agent.stop());
  await agent.call('acquire', { lock: name, mode: 'write', key: 'w' });

  const text = run('inspect', name);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, new RegExp(`lock '${name}'`));
  t.regex(text.stdout, new RegExp(`writer\\s+pid ${agent.pid} \\(alive`));
  t.regex(text.stdout, /readers\s+none/);

  const json = run('inspect', name, '--json');
  t.is(json.code, 0, json.stderr);
  const info = JSON.parse(json.stdout);
  t.is(info.name, name);
  t.is(info.writer.pid, agent.pid);
  t.true(info.writer.alive);
  t.is(info.processes, 1, 'the CLI did not attach to the lock');

  const missing = uniqueName('cli-missing');
  const r = run('inspect', missing);
  t.is(r.code, 4);
  t.regex(r.stderr, /nothing named '.*' \(no lock, event or shared memory\)/);
  t.is(RwLock.peek(missing), null, 'inspect created nothing');
});

(isWindows ? test.skip : test)('ls: every kind with sizes, holders, waiters and dead holders (Linux)', async (t) => {
  const name = uniqueName('cli-ls');
  t.teardown(() => unlinkAll(name));
  const memory = SharedMemory.open(name, { size: 8192 });
  t.teardown(() => memory.close());
  const event = NamedEvent.open(name);
  t.teardown(() => event.close());
  const holder = await Agent.start();
  t.teardown(() => holder.stop());
  const waiter = await Agent.start();
  t.teardown(() => waiter.stop());
  await holder.call('acquire', { lock: name, mode: 'read', key: 'r' });
  const waiting = waiter.call('acquire', { lock: name, mode: 'write', key: 'w' });
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  while (lock.inspect().waiting.writers === 0) await sleep(5);
  lock.close();

  const r = run('ls', '--json');
  t.is(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<Record<string, unknown> & { lock?: { readers: Array<{ pid: number }> } }>;
  const mine = rows.filter((row) => row.name === name);
  t.deepEqual(
    mine.map((row) => row.kind),
    ['lock', 'event', 'memory'],
  );
  const [lockRow, , memRow] = mine;
  t.is(memRow!.size, 8192);
  t.is(lockRow!.holders, 1);
  t.is(lockRow!.waiters, 1);
  t.is(lockRow!.dead, 0);
  t.is(lockRow!.lock!.readers[0]!.pid, holder.pid);

  const text = run('ls');
  t.is(text.code, 0);
  t.regex(text.stdout, /KIND\s+NAME\s+SIZE\s+HOLDERS\s+WAITERS\s+DEAD/);
  t.regex(text.stdout, new RegExp(`lock\\s+${name}\\s+68 KiB\\s+1 reader \\(${holder.pid}\\)\\s+1\\s+no`));
  t.regex(text.stdout, new RegExp(`memory\\s+${name}\\s+8 KiB`));

  waiting.catch(() => {}); // settles when the agents stop
});

(isWindows ? test.skip : test)(
  'ls and inspect show a killed holder as dead, and looking does not recover it (Linux)',
  async (t) => {
    const name = uniqueName('cli-dead');
    t.teardown(() => unlinkAll(name));
    const holder = await Agent.start();
    await holder.call('acquire', { lock: name, mode: 'write', key: 'w' });
    await holder.kill();
    for (let i = 0; i < 3; i++) {
      const rows = JSON.parse(run('ls', '--json').stdout) as Array<Record<string, unknown>>;
      const row = rows.find((r) => r.name === name && r.kind === 'lock')!;
      t.is(row.dead, 1, 'the killed holder shows as dead, every time');
    }
    t.regex(run('ls').stdout, new RegExp(`lock\\s+${name}\\s+68 KiB\\s+writer ${holder.pid}\\s+0\\s+1 dead`));
    t.regex(run('inspect', name).stdout, new RegExp(`writer\\s+pid ${holder.pid} \\(DEAD`));
    // The next process that uses the lock recovers it.
    const lock = RwLock.open(name);
    t.teardown(() => lock.close());
    const guard = lock.tryWrite();
    t.truthy(guard, 'taken back by the first process that opens it');
    guard?.release();
  },
);

test('unlink: refuses while live holders exist (exit 3), --force removes (not on Windows); ambiguous names need --kind', async (t) => {
  const name = uniqueName('cli-unlink');
  t.teardown(() => unlinkAll(name));
  const agent = await Agent.start();
  t.teardown(() => agent.stop());
  await agent.call('acquire', { lock: name, mode: 'write', key: 'w' });

  const refused = run('unlink', name);
  t.is(refused.code, 3);
  t.regex(refused.stderr, /1 live holder/);
  t.not(RwLock.peek(name), null, 'still there');

  await agent.call('release', { key: 'w' });
  const memory = SharedMemory.open(name, { size: 4096 });
  memory.close();
  const ambiguous = run('unlink', name);
  t.is(ambiguous.code, 2);
  t.regex(ambiguous.stderr, /names a lock and a memory: say which with --kind/);

  const mem = run('unlink', name, '--kind', 'memory');
  if (isWindows) {
    // Windows names cannot be removed, only dropped by their last handle: the CLI says so.
    t.is(mem.code, 1);
    t.regex(mem.stderr, /on Windows a name lives exactly as long as some process has it open/);
    return;
  }
  t.is(mem.code, 0, mem.stderr);
  t.regex(mem.stdout, new RegExp(`removed memory '${name}'`));
  t.throws(() => SharedMemory.open(name, { create: false }), { code: 'ERR_NOT_FOUND' });

  await agent.call('acquire', { lock: name, mode: 'read', key: 'r' });
  const forced = run('unlink', name, '--force');
  t.is(forced.code, 0, forced.stderr);
  t.is(RwLock.peek(name), null, 'the name is gone');

  const missing = run('unlink', name);
  t.is(missing.code, 4);
  t.regex(missing.stderr, /nothing named/);
});

test('watch: refreshes until SIGINT, then exits 0; a missing lock exits 4', async (t) => {
  const name = uniqueName('cli-watch');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());

  const child = spawn(process.execPath, [cli, 'watch', name, '--interval', '50'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => child.kill('SIGKILL'));
  const frames = () => out.split(`lock '${name}'`).length - 1;
  while (frames() < 2) await sleep(20);
  t.regex(out, /writer\s+none/);
  const guard = await lock.write();
  // Frames made before the write may still be in the pipe: wait for one that shows it.
  const held = new RegExp(`writer\\s+pid ${process.pid} \\(alive`);
  const deadline = performance.now() + 10_000;
  while (!held.test(out.split(`lock '${name}'`).at(-1)!) && performance.now() < deadline) await sleep(20);
  t.regex(out.split(`lock '${name}'`).at(-1)!, held, 'a later frame shows the new writer');
  guard.release();
  if (isWindows) {
    child.kill(); // no SIGINT delivery under Wine: the watch loop itself is what is tested
    await exited;
  } else {
    child.kill('SIGINT');
    t.is(await exited, 0, 'Ctrl-C ends it with exit code 0');
  }
  t.is(run('watch', uniqueName('cli-none')).code, 4);
});

// The backing files are Linux's: looking must change not one byte of them.
(isWindows ? test.skip : test)(
  'looking (ls, inspect, peek, LockManager.query) changes nothing, not even an empty segment',
  async (t) => {
    const { createHash } = await import('node:crypto');
    const { readFileSync, statSync, writeFileSync } = await import('node:fs');
    const { backingFile } = await import('./helpers/names.js');
    const { LockManager } = await import('interlocked');
    const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    // A lock with a dead writer nobody has recovered yet, and a live reader.
    const name = uniqueName('lookonly');
    t.teardown(() => unlinkAll(name));
    const victim = await Agent.start();
    const reader = await Agent.start();
    t.teardown(() => Promise.all([victim.stop(), reader.stop()]));
    await reader.call('acquire', { lock: name, mode: 'read', key: 'r' });
    await reader.call('release', { key: 'r' });
    await victim.call('acquire', { lock: name, mode: 'write', key: 'w' });
    await victim.kill('SIGKILL');
    const file = backingFile('lock', name);
    const before = digest(file);
    t.is(run('inspect', name).code, 0);
    t.is(run('ls').code, 0);
    t.false(RwLock.peek(name)!.writer!.alive, 'the dead writer shows as dead');
    await new LockManager().query();
    t.is(digest(file), before, 'not one byte of the lock changed');
    // An empty segment under a lock's name (something else made it): looked at, never sized.
    const empty = uniqueName('lookempty');
    t.teardown(() => unlinkAll(empty));
    writeFileSync(backingFile('lock', empty), '', { mode: 0o600 });
    t.throws(() => RwLock.peek(empty), { code: 'ERR_INCOMPATIBLE' });
    t.not(run('inspect', empty).code, 0);
    t.is(statSync(backingFile('lock', empty)).size, 0, 'the empty segment was not sized');
  },
);

test('--version, and an unknown command gets one line with the commands, not the whole help', async (t) => {
  const { readFileSync } = await import('node:fs');
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
  for (const flag of ['--version', '-v', 'version']) {
    const r = run(flag);
    t.is(r.code, 0, flag);
    t.is(r.stdout.trim(), version);
  }
  const r = run('lss');
  t.is(r.code, 2);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /unknown command 'lss' \(commands: ls, inspect, watch, unlink, prune; see interlocked --help\)/);
});

test('inspect and watch events and shared memory too; --kind picks one of a shared name', async (t) => {
  const name = uniqueName('cli-kinds');
  t.teardown(() => unlinkAll(name));
  const event = NamedEvent.open(name, { manualReset: false });
  t.teardown(() => event.close());
  event.set();
  const memory = SharedMemory.open(name, { size: 12288 });
  t.teardown(() => memory.close());
  t.is(run('inspect', name).code, 2, 'an event and a memory share the name: --kind needed');
  const e = run('inspect', name, '--kind', 'event');
  t.is(e.code, 0, e.stderr);
  t.regex(e.stdout, new RegExp(`event '${name}'\\n\\s+type\\s+auto-reset\\n\\s+state\\s+set`));
  t.true(event.isSet(), 'looking consumed nothing');
  t.like(JSON.parse(run('inspect', name, '--kind', 'event', '--json').stdout), { manualReset: false, set: true });
  const m = run('inspect', name, '--kind', 'memory');
  t.is(m.code, 0, m.stderr);
  t.regex(m.stdout, /size\s+12 KiB \(12288 bytes\)/);
  if (!isWindows) t.regex(m.stdout, new RegExp(`used by\\s+pid ${process.pid}`));
  const missing = run('inspect', name, '--kind', 'lock');
  t.is(missing.code, 4);
});

test('LockManager locks show under the names their programs used, and inspect and unlink take them', async (t) => {
  const prefix = `${uniqueName('cli-lm')}.`;
  t.teardown(() => unlinkPrefix(prefix));
  const manager = new LockManager({ prefix });
  let release!: () => void;
  const held = manager.request('user:42', () => new Promise<void>((resolve) => (release = resolve)));
  await sleep(20);
  const shown = `${prefix}user:42`;
  if (!isWindows) {
    const rows = JSON.parse(run('ls', '--json').stdout) as Array<{ name: string; managerName?: string }>;
    const row = rows.find((r) => r.managerName === shown);
    t.is(row?.name, manager.lockName('user:42'));
    t.regex(run('ls').stdout, new RegExp(`lock\\s+${shown.replace(/[.]/g, '\\.')}\\s+68 KiB\\s+writer ${process.pid}`));
  }
  const inspect = run('inspect', shown);
  t.is(inspect.code, 0, inspect.stderr);
  t.regex(inspect.stdout, new RegExp(`writer\\s+pid ${process.pid} \\(alive`));
  release();
  await held;
  if (!isWindows) {
    const removed = run('unlink', shown);
    t.is(removed.code, 0, removed.stderr);
    t.is(RwLock.peek(manager.lockName('user:42')), null);
  }
});

// /dev/shm, /proc and file modes: Linux.
(isWindows ? test.skip : test)('prune removes what no live process uses and keeps the rest, saying why', async (t) => {
  const dead = uniqueName('prune-dead');
  const live = uniqueName('prune-live');
  const unused = uniqueName('prune-unused');
  const open = uniqueName('prune-open');
  const child = uniqueName('prune-child');
  for (const n of [dead, live, unused, open, child]) t.teardown(() => unlinkAll(n));
  const victim = await Agent.start();
  await victim.call('acquire', { lock: dead, mode: 'write', key: 'w' });
  await victim.call('openEvent', { event: dead }); // an event its only user leaves behind too
  await victim.kill();
  const liveLock = RwLock.open(live);
  t.teardown(() => liveLock.close());
  SharedMemory.open(unused, { size: 4096 }).close();
  const openMemory = SharedMemory.open(open, { size: 4096 });
  t.teardown(() => openMemory.close());
  const user = await Agent.start(); // another live process uses an event
  t.teardown(() => user.stop());
  await user.call('openEvent', { event: child });

  type Row = { kind: string; name: string; action: string; removed: boolean; why: string };
  const byName = (rows: Row[], n: string, kind: string) => rows.find((r) => r.name === n && r.kind === kind);
  const dry = JSON.parse(run('prune', '--dry-run', '--json').stdout) as Row[];
  t.like(byName(dry, dead, 'lock'), { action: 'would remove', removed: false, why: 'unused' });
  t.not(RwLock.peek(dead), null, 'a dry run removes nothing');

  const r = run('prune', '--json');
  t.is(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Row[];
  t.like(byName(rows, dead, 'lock'), { removed: true }, 'the lock whose only process died');
  t.like(byName(rows, dead, 'event'), { removed: true });
  t.like(byName(rows, unused, 'memory'), { removed: true });
  t.like(byName(rows, live, 'lock'), { removed: false, why: 'in use: a live process has it open' });
  t.like(byName(rows, open, 'memory'), { removed: false });
  t.like(byName(rows, child, 'event'), { removed: false });
  t.is(RwLock.peek(dead), null);
  t.not(RwLock.peek(live), null);
  t.throws(() => SharedMemory.open(unused, { create: false }), { code: 'ERR_NOT_FOUND' });
  t.regex(run('prune', '--dry-run').stdout, /\d+ would be removed, \d+ kept/);
});

(isWindows ? test.skip : test)(
  'ls shows what it cannot read (another user’s objects) instead of failing',
  async (t) => {
    const { chmodSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const name = uniqueName('cli-private');
    t.teardown(() => unlinkAll(name));
    const memory = SharedMemory.open(name, { size: 4096, mode: 0o600 });
    t.teardown(() => memory.close());
    const asNobody = process.getuid?.() === 0;
    if (!asNobody) chmodSync(backingFile('mem', name), 0o000);
    const r = spawnSync(process.execPath, [cli, 'ls', '--json'], {
      encoding: 'utf8',
      ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
    });
    if (asNobody && r.status !== 0 && /EACCES|permission denied/i.test(r.stderr) && !r.stderr.includes('interlocked')) {
      t.log('skipped: the unprivileged user (65534) cannot read this checkout');
      t.pass();
      return;
    }
    t.is(r.status, 0, r.stderr);
    const row = (JSON.parse(r.stdout) as Array<{ name: string; kind: string; error?: string }>).find(
      (x) => x.name === name && x.kind === 'memory',
    );
    t.is(row?.error, 'not readable (permission denied)');
  },
);
