// Parent side of fixtures/agent: a real child process that performs interlock operations on request.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}.js`, import.meta.url));
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { code?: string; name?: string; message?: string };
}

export class AgentError extends Error {
  constructor(
    readonly code: string | undefined,
    readonly errorName: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export class Agent {
  readonly child: ChildProcess;
  readonly pid: number;
  #next = 1;
  #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.pid = child.pid!;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.on('message', (raw) => {
      const r = raw as Reply;
      const w = this.#waiting.get(r.id);
      if (!w) return;
      this.#waiting.delete(r.id);
      if (r.ok) w.resolve(r.value);
      else w.reject(new AgentError(r.error?.code, r.error?.name, r.error?.message ?? 'agent error'));
    });
    void this.exited.then(({ code, signal }) => {
      for (const w of this.#waiting.values()) w.reject(new Error(`agent ${this.pid} exited (${code ?? signal})`));
      this.#waiting.clear();
    });
  }

  /** `fixture`: which agent script to run (default 'agent'; 'lock-manager-agent' serves LockManager). */
  static async start(
    options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; fixture?: string } = {},
  ): Promise<Agent> {
    const child = fork(fixturePath(options.fixture ?? 'agent'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: options.env ?? process.env,
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`agent exited before it was ready (${code})`)));
    });
    const agent = new Agent(child);
    await ready;
    return agent;
  }

  /** Sends one operation; resolves with its reply value, rejects with an AgentError. */
  call<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, ...args });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<unknown> {
    this.child.kill(signal);
    return this.exited;
  }

  /** Teardown: kills the agent; calls still pending then never settle (nobody waits for them). */
  async stop(): Promise<void> {
    this.#waiting.clear();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export async function startAgents(n: number): Promise<Agent[]> {
  return Promise.all(Array.from({ length: n }, () => Agent.start()));
}
