// Child processes that run a few lines of JavaScript given as text (an ES module that can import
// 'interlocked'), for tests whose other process is a small scenario of its own.
import { spawn, type ChildProcess } from 'node:child_process';

export interface SnippetOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra arguments for node itself, before the code (e.g. '--expose-gc'). */
  nodeArgs?: string[];
  /** A command to run node under (e.g. ['unshare', '--pid', '--fork']). */
  wrap?: string[];
  /** Kills the child (SIGKILL) after this many ms. Default 30 s. */
  timeout?: number;
}

export interface SnippetResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running snippet: `process.send()` in it arrives through next(). */
export class Snippet {
  readonly child: ChildProcess;
  readonly result: Promise<SnippetResult>;
  #messages: unknown[] = [];
  #wanted: ((m: unknown) => void)[] = [];

  constructor(code: string, options: SnippetOptions = {}) {
    const args = [...(options.nodeArgs ?? []), '--input-type=module', '-e', code];
    const [command, ...prefix] = [...(options.wrap ?? []), process.execPath];
    this.child = spawn(command!, [...prefix, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    let stderr = '';
    this.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child.on('message', (m) => {
      const take = this.#wanted.shift();
      if (take) take(m);
      else this.#messages.push(m);
    });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), options.timeout ?? 30_000);
    this.result = new Promise((resolve) => {
      // 'close', not 'exit': the output may still be in flight when the process has exited.
      this.child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  /** The next message the snippet sends; rejects if it ends first. */
  next<T = unknown>(): Promise<T> {
    if (this.#messages.length > 0) return Promise.resolve(this.#messages.shift() as T);
    return new Promise<T>((resolve, reject) => {
      this.#wanted.push(resolve as (m: unknown) => void);
      void this.result.then((r) =>
        reject(new Error(`the snippet ended (${r.code ?? r.signal}) before sending a message:\n${r.stderr}`)),
      );
    });
  }

  send(message: unknown): void {
    this.child.send(message as object);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<SnippetResult> {
    this.child.kill(signal);
    return this.result;
  }
}

/** Runs a snippet to its end. */
export function runSnippet(code: string, options: SnippetOptions = {}): Promise<SnippetResult> {
  return new Snippet(code, options).result;
}
