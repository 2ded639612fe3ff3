// Process liveness where the kernel's slot holds are not the authority (the pid + start-time
// fallback): a recycled pid is dead, an undecidable one counts as alive.
import test from 'ava';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const native = fileURLToPath(new URL('../../src/native/', import.meta.url));
const linuxOnly = process.platform === 'linux' ? test : test.skip; // tests the Linux fallback itself

async function build(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-liveness-'));
  chmodSync(dir, 0o755);
  const exe = join(dir, 'liveness_check');
  const source = fileURLToPath(new URL('../../test/native/liveness_check.cc', import.meta.url));
  await run('g++', [
    '-std=c++17',
    '-O1',
    `-I${native}`,
    source,
    join(native, 'platform/linux_process.cc'),
    join(native, 'platform/posix_clock.cc'),
    '-o',
    exe,
  ]);
  return exe;
}

linuxOnly('pid + start time: the same pid with another start time is dead; a gone pid is dead', async (t) => {
  const exe = await build();
  const holder = spawn(exe, ['hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [out] = (await once(holder.stdout!, 'data')) as [Buffer];
  const key = BigInt(out.toString().trim());
  const liveness = async (k: bigint) => (await run(exe, ['liveness', k.toString()])).stdout.trim();
  t.is(await liveness(key), 'alive');
  t.is(await liveness(key ^ (1n << 40n)), 'dead', 'a live pid whose start time differs is another process');
  holder.kill('SIGKILL');
  await once(holder, 'exit');
  t.is(await liveness(key), 'dead');
});

linuxOnly("undecidable liveness (hidepid /proc, someone else's process) counts as alive", async (t) => {
  const probe = spawnSync('unshare', ['--mount', 'true']);
  if (probe.status !== 0 || process.getuid?.() !== 0) {
    t.log('skipped: needs root to mount a hidepid /proc in a private mount namespace');
    t.pass();
    return;
  }
  const exe = await build();
  const holder = spawn(exe, ['hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => holder.kill('SIGKILL'));
  const [out] = (await once(holder.stdout!, 'data')) as [Buffer];
  const key = out.toString().trim();
  // As an unprivileged user behind hidepid=2, root's process is invisible in /proc but exists.
  const script = `mount -t proc -o hidepid=2 proc /proc && exec setpriv --reuid=65534 --regid=65534 --clear-groups ${exe} liveness ${key}`;
  const { stdout } = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script]);
  t.is(stdout.trim(), 'unknown');
});
