import { execFile, fork } from 'node:child_process';
import { promisify } from 'node:util';
import { NamedEvent, SharedMemory } from 'interlocked';
import { fixturePath } from '../helpers/agent.js';
import { sleep } from '../helpers/names.js';

export const run = promisify(execFile);

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs a fixture to its end (or death) and reports how it ended. */
export function runFixture(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeout = 30_000,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = fork(fixturePath(name), args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    // 'close', not 'exit': the output may still be in flight when the process has exited.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    });
  });
}

/**
 * Starts `survivors` increment processes (and any extra processes that also wait on the barrier),
 * releases them together, and returns each survivor's summary.
 */
export async function contend(
  lock: string,
  memory: string,
  survivors: number,
  iterations: number,
  extra: Array<Promise<ChildResult>> = [],
  extraCount = 0,
): Promise<{ results: Array<{ overlaps: number }>; count: number; extra: ChildResult[] }> {
  const shm = SharedMemory.open(memory, { size: 4096 });
  const words = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, 4);
  const go = NamedEvent.open(memory);
  try {
    const runs = Array.from({ length: survivors }, () => runFixture('increment', [lock, memory, String(iterations)]));
    const deadline = Date.now() + 20_000;
    while (Atomics.load(words, 2) < survivors + extraCount && Date.now() < deadline) await sleep(5);
    go.set();
    const done = await Promise.all(runs);
    const results = done.map((r) => {
      if (r.code !== 0 || r.stdout === '') throw new Error(`survivor ended with ${r.code ?? r.signal}: '${r.stdout}'`);
      return JSON.parse(r.stdout) as { overlaps: number };
    });
    return { results, count: shm.buffer.readUInt32LE(0), extra: await Promise.all(extra) };
  } finally {
    go.close();
    shm.close();
  }
}

/** Whether a process ended by its INTERLOCK_CRASH_AT hook (SIGKILL; TerminateProcess(137) on Windows). */
export function crashed(result: ChildResult): boolean {
  return process.platform === 'win32' ? result.code === 137 : result.signal === 'SIGKILL';
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
