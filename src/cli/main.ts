#!/usr/bin/env node
// `interlocked`: see who holds which lock on this machine. Commands: ls, inspect, unlink, watch.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InterlockError } from '../errors.js';
import type { LockInfo } from '../rwlock.js';
import { formatInspect, formatList, type ListRow } from './format.js';
import { canList, inspectLock, kinds, listObjects, objectSize, summarize, unlinkObject, type Kind } from './objects.js';

/** Exit codes, also in `interlocked --help` and the README. */
export const Exit = {
  ok: 0,
  error: 1, // the operation failed (a system error, an unsupported platform)
  usage: 2, // bad command line
  refused: 3, // unlink: live holders and no --force
  notFound: 4, // no object by that name
} as const;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const HELP: Record<string, string> = {
  main: `usage: interlocked <command> [options]

Look at interlocked's named locks, events and shared memory on this machine.

commands:
  ls                  every interlocked object: kind, name, size, holders, waiters, dead holders
  inspect <name>      one lock's state: writer, readers, waiting requests, slots
  unlink <name>       remove a name (refuses while a lock has live holders, unless --force)
  watch <name>        inspect, refreshed until Ctrl-C

options:
  --json              machine-readable output (ls, inspect)
  --global            the Global\\ namespace (Windows; no effect elsewhere)
  -h, --help          help for a command: interlocked <command> --help

exit codes:
  0 success   1 the operation failed   2 bad command line
  3 unlink refused (live holders)      4 no object by that name`,
  ls: `usage: interlocked ls [--json]

Lists every interlocked object on this machine (Linux: the segments in /dev/shm): kind, name, segment
size and, for locks, holders, waiting requests and how many holders or waiters are dead (their
processes died; the next process that uses the lock recovers them). Locks are read without being
opened: nothing is attached, recovered or created.`,
  inspect: `usage: interlocked inspect <name> [--json] [--global]

Shows one lock's state: the writer and readers (pid, count, since, alive), the requests waiting per
process, whether a writer died inside (abandoned) and the process slots in use. Exit code 4 if there
is no lock by that name (nothing is created).`,
  unlink: `usage: interlocked unlink <name> [--kind lock|event|memory] [--force] [--global]

Removes a name, so the next open creates a new object; processes that have it open keep using the
old one. A lock with live holders or waiters is refused (exit code 3) unless --force. --kind is
needed only when several kinds share the name.`,
  watch: `usage: interlocked watch <name> [--interval <ms>] [--global]

Shows a lock's state and refreshes it every --interval ms (default 500) until Ctrl-C.`,
};

function usage(message: string, command = 'main'): never {
  throw new CliError(`interlocked: ${message}\n\n${HELP[command]}`, Exit.usage);
}

const common = { help: { type: 'boolean', short: 'h' }, global: { type: 'boolean' } } as const;

function parse<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    usage((error as Error).message, command);
  }
}

function oneName(command: string, positionals: string[]): string {
  if (positionals.length !== 1) usage(`${command} takes exactly one name`, command);
  return positionals[0]!;
}

function requireLock(name: string, global: boolean): LockInfo {
  const info = inspectLock(name, global);
  if (info === null) throw new CliError(`interlocked: no lock named '${name}'`, Exit.notFound);
  return info;
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function ls(args: string[]): number {
  const { values } = parse('ls', { args, strict: true, options: { ...common, json: { type: 'boolean' } } });
  if (values.help) return help('ls');
  if (!canList) {
    throw new CliError(
      `interlocked ls: ${process.platform} cannot list its named objects; use 'interlocked inspect <name>'`,
      Exit.error,
    );
  }
  const rows: ListRow[] = listObjects().map((entry) => {
    if (entry.kind !== 'lock') return { ...entry };
    try {
      const info = inspectLock(entry.name);
      return info ? { ...entry, lock: info, ...summarize(info) } : { ...entry, error: 'removed meanwhile' };
    } catch (error) {
      return { ...entry, error: (error as Error).message };
    }
  });
  write(values.json ? JSON.stringify(rows, null, 2) : formatList(rows));
  return Exit.ok;
}

function inspect(args: string[]): number {
  const { values, positionals } = parse('inspect', {
    args,
    strict: true,
    allowPositionals: true,
    options: { ...common, json: { type: 'boolean' } },
  });
  if (values.help) return help('inspect');
  const info = requireLock(oneName('inspect', positionals), values.global === true);
  write(values.json ? JSON.stringify(info, null, 2) : formatInspect(info));
  return Exit.ok;
}

function unlink(args: string[]): number {
  const { values, positionals } = parse('unlink', {
    args,
    strict: true,
    allowPositionals: true,
    options: { ...common, kind: { type: 'string' }, force: { type: 'boolean' } },
  });
  if (values.help) return help('unlink');
  const name = oneName('unlink', positionals);
  const global = values.global === true;
  const kindArg = values.kind;
  if (kindArg !== undefined && !kinds.includes(kindArg as Kind))
    usage(`--kind must be one of ${kinds.join(', ')}`, 'unlink');
  const present = (kindArg ? [kindArg as Kind] : kinds).filter((k) => objectSize(k, name, global) !== null);
  if (present.length === 0) throw new CliError(`interlocked: nothing named '${name}'`, Exit.notFound);
  if (present.length > 1) usage(`'${name}' names a ${present.join(' and a ')}: say which with --kind`, 'unlink');
  const kind = present[0]!;
  if (kind === 'lock' && !values.force) {
    const { holders, waiters, dead } = summarize(requireLock(name, global));
    const live = holders + waiters - dead;
    if (live > 0) {
      throw new CliError(
        `interlocked: the lock '${name}' has ${live} live holder${live === 1 ? '' : 's'} or waiting process${live === 1 ? '' : 'es'}; not removed (--force removes it anyway)`,
        Exit.refused,
      );
    }
  }
  if (!unlinkObject(kind, name, global)) {
    const why =
      process.platform === 'win32' ? ': on Windows a name lives exactly as long as some process has it open' : '';
    throw new CliError(`interlocked: the ${kind} '${name}' was not removed${why}`, Exit.error);
  }
  write(`removed ${kind} '${name}'`);
  return Exit.ok;
}

async function watch(args: string[]): Promise<number> {
  const { values, positionals } = parse('watch', {
    args,
    strict: true,
    allowPositionals: true,
    options: { ...common, interval: { type: 'string' } },
  });
  if (values.help) return help('watch');
  const name = oneName('watch', positionals);
  const interval = values.interval === undefined ? 500 : Number(values.interval);
  if (!Number.isInteger(interval) || interval < 10)
    usage('--interval must be a whole number of ms, 10 or more', 'watch');
  const global = values.global === true;
  requireLock(name, global);
  const tty = process.stdout.isTTY === true;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  for (;;) {
    const info = inspectLock(name, global);
    const text = info ? formatInspect(info) : `no lock named '${name}' (removed)`;
    const stamp = new Date().toISOString();
    write(`${tty ? '\x1b[2J\x1b[H' : ''}${stamp}  (every ${interval} ms, Ctrl-C to stop)\n${text}`);
    let timer: NodeJS.Timeout | undefined;
    const next = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), interval)));
    if ((await Promise.race([next, stopped.then(() => 'stop' as const)])) === 'stop') {
      clearTimeout(timer);
      return Exit.ok;
    }
  }
}

function help(command: string): number {
  write(HELP[command]!);
  return Exit.ok;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        return help('main');
      case 'ls':
        return ls(rest);
      case 'inspect':
        return inspect(rest);
      case 'unlink':
        return unlink(rest);
      case 'watch':
        return await watch(rest);
      default:
        return usage(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof InterlockError) {
      process.stderr.write(`interlocked: ${error.code}: ${error.message}\n`);
      return error.code === 'ERR_INVALID_NAME' ? Exit.usage : Exit.error;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
