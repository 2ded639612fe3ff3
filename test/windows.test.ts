// Windows specifics, run under Wine in CI: Local\ and Global\ namespaces, and a holder killed with
// TerminateProcess waking waiters through its process handle. (On Linux the scope is ignored.)
import test from 'ava';
import { RwLock, SharedMemory } from 'interlocked';
import { Agent } from './helpers/agent.js';
import { isWindows, uniqueName, unlinkAll } from './helpers/names.js';

const windowsOnly = isWindows ? test : test.skip;

windowsOnly('Local\\ and Global\\ names are different objects, each shared across processes', async (t) => {
  const name = uniqueName('scope');
  const local = SharedMemory.open(name, { size: 64 });
  const global = SharedMemory.open(name, { size: 64, scope: 'global' });
  t.true(local.created);
  t.true(global.created, 'Global\\ is another namespace');
  local.buffer.write('local');
  global.buffer.write('global');
  const again = SharedMemory.open(name, { scope: 'global' });
  t.is(again.buffer.toString('utf8', 0, 6), 'global');
  const lockLocal = RwLock.open(name);
  const lockGlobal = RwLock.open(name, { scope: 'global' });
  const held = lockGlobal.tryWrite();
  t.truthy(held);
  const other = lockLocal.tryWrite();
  t.truthy(other, 'the Local\\ lock is not the Global\\ one');
  other!.release();
  const agent = await Agent.start();
  t.teardown(() => agent.stop());
  // Another process's Local\ read is not blocked by our Global\ write.
  await agent.call('acquire', { lock: name, mode: 'read', key: 'r', timeout: 500 });
  await agent.call('release', { key: 'r' });
  held!.release();
  for (const x of [local, global, again, lockLocal, lockGlobal]) x.close();
});

test('a holder killed with process.kill (TerminateProcess on Windows) wakes its waiters at once', async (t) => {
  const name = uniqueName('terminate');
  t.teardown(() => unlinkAll(name));
  const lock = RwLock.open(name);
  t.teardown(() => lock.close());
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const agent = await Agent.start();
    await agent.call('acquire', { lock: name, mode: 'write', key: 'w' });
    const pending = lock.read({ timeout: 5000 });
    const killed = performance.now();
    agent.child.kill();
    const guard = await pending;
    times.push(performance.now() - killed);
    t.true(guard.abandoned);
    guard.release();
    const repair = await lock.write();
    repair.markConsistent();
    repair.release();
  }
  const median = [...times].sort((a, b) => a - b)[2]!;
  t.log(`granted after the kill: ${times.map((x) => x.toFixed(1)).join(', ')} ms`);
  // A wait slice is 100 ms: a median well under it means the process exit woke the waiter.
  t.true(median < 60, `median ${median} ms`);
});

windowsOnly('the addon loads in a host executable that is not named node.exe', async (t) => {
  const { copyFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  const host = join(mkdtempSync(join(tmpdir(), 'interlock-host-')), 'renamed-host.exe');
  copyFileSync(process.execPath, host);
  const script = `import { RwLock } from 'interlocked'; const l = RwLock.open('renamed-${process.pid}'); const g = l.tryWrite(); console.log(g ? 'locked' : 'busy'); g.release(); l.close();`;
  const out = execFileSync(host, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
  t.is(out.trim(), 'locked');
});
