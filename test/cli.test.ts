// The `interlocked` command: every command, its help, its output, its exit codes and bad arguments.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NamedEvent, RwLock, SharedMemory } from 'interlocked';
import { Agent } from './helpers/agent.js';
import { isWindows, sleep, uniqueName, unlinkAll } from './helpers/names.js';

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
  t.regex(r.stderr, /no lock named/);
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
