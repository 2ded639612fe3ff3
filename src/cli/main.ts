#!/usr/bin/env node
// `interlocked`: see who holds which lock on this machine, and clean up what nobody uses.
// Commands: ls, inspect, watch, unlink, prune.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InterlockError } from '../errors.js';
import { checkName } from '../options.js';
import { formatEvent, formatInspect, formatList, formatMemory, type ListRow } from './format.js';
import {
  canList,
  describe,
  inspectEvent,
  inspectLock,
  kinds,
  candidateNames,
  listObjects,
  objectSize,
  resolve,
  summarize,
  unlinkObject,
  usersOf,
  type Found,
  type Kind,
} from './objects.js';
import { prune } from './prune.js';

const COMMANDS = ['ls', 'inspect', 'watch', 'unlink', 'prune'];

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
  inspect <name>      one object's state (a lock's writer, readers and waiters; an event's state;
                      a shared memory's size and users)
  watch <name>        inspect, refreshed until Ctrl-C
  unlink <name>       remove a name (refuses while a lock has live holders, unless --force)
  prune               remove every object no live process uses (Linux)

A name is an object's own name, or a LockManager name with its prefix ('weblocks.user:42').

options:
  --json              machine-readable output (ls, inspect, prune)
  --global            the Global\\ namespace (Windows; no effect elsewhere)
  -h, --help          help for a command: interlocked <command> --help
  -v, --version       the version of interlocked

exit codes:
  0 success   1 the operation failed   2 bad command line
  3 unlink refused (live holders)      4 no object by that name`,
  ls: `usage: interlocked ls [--json]

Lists every interlocked object on this machine (Linux: the segments in /dev/shm): kind, name, segment
size and, for locks, holders, waiting requests and how many holders or waiters are dead (their
processes died; the next process that uses the lock recovers them); for events, their state. A
LockManager's lock shows under the name its program used. Objects that cannot be read (another
user's) show as not readable. Nothing is opened for use, attached, recovered or created.`,
  inspect: `usage: interlocked inspect <name> [--kind lock|event|memory] [--json] [--global]

Shows one object's state. A lock: the writer and readers (pid, count, since, alive), the requests
waiting per process, whether a writer died inside (abandoned), the process slots in use. An event:
manual- or auto-reset, set or not (nothing is consumed). A shared memory: its size and (Linux) the
processes that have it open. --kind when several kinds share the name. Exit code 4 if there is
nothing by that name (nothing is created).`,
  unlink: `usage: interlocked unlink <name> [--kind lock|event|memory] [--force] [--global]

Removes a name, so the next open creates a new object; processes that have it open keep using the
old one. A lock with live holders or waiters is refused (exit code 3) unless --force. --kind is
needed only when several kinds share the name.`,
  watch: `usage: interlocked watch <name> [--kind lock|event|memory] [--interval <ms>] [--global]

Shows an object's state and refreshes it every --interval ms (default 500) until Ctrl-C.`,
  prune: `usage: interlocked prune [--dry-run] [--json]

Removes every object that no live process has open (Linux): each process that opens a lock, event or
shared memory marks it until it closes it or dies, so what a crashed program left behind has no
mark. Everything else is kept; each object is listed with the reason. --dry-run only says what
would go. A process that opens a name at the moment prune removes it gets a new object: run it when
the programs that use the objects are not starting up.`,
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

function kindOption(command: string, value: string | undefined): Kind | undefined {
  if (value !== undefined && !kinds.includes(value as Kind))
    usage(`--kind must be one of ${kinds.join(', ')}`, command);
  return value as Kind | undefined;
}

/** The one object `name` stands for (its own name, or a LockManager name), of `kind` if given. */
function find(command: string, name: string, global: boolean, kind?: Kind): Found {
  const found = resolve(name, global, kind);
  if (found.length === 0) {
    // Not an object's name, and no LockManager lock by that name: say what a name may be.
    if (!candidateNames(name).includes(name)) checkName(name);
    const what = kind ?? 'lock, event or shared memory';
    throw new CliError(`interlocked: nothing named '${name}' (no ${what})`, Exit.notFound);
  }
  if (found.length > 1) {
    usage(`'${name}' names a ${found.map((f) => f.kind).join(' and a ')}: say which with --kind`, command);
  }
  return found[0]!;
}

/** An object's state as text or as a JSON-able value; null when it is gone. */
function look(found: Found, global: boolean): { text: string; json: unknown } | null {
  switch (found.kind) {
    case 'lock': {
      const info = inspectLock(found.name, global);
      return info && { text: formatInspect(info), json: info };
    }
    case 'event': {
      const state = inspectEvent(found.name, global);
      return state && { text: formatEvent(found.name, state), json: { kind: 'event', name: found.name, ...state } };
    }
    case 'memory': {
      const size = objectSize('memory', found.name, global);
      if (size === null) return null;
      const users = canList ? usersOf('memory', found.name) : undefined;
      return { text: formatMemory(found.name, size, users), json: { kind: 'memory', name: found.name, size, users } };
    }
  }
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
    if (entry.error !== undefined || entry.kind === 'memory') return { ...entry };
    try {
      if (entry.kind === 'event') {
        const event = inspectEvent(entry.name);
        return event ? { ...entry, event } : { ...entry, error: 'removed meanwhile' };
      }
      const info = inspectLock(entry.name);
      return info ? { ...entry, lock: info, ...summarize(info) } : { ...entry, error: 'removed meanwhile' };
    } catch (error) {
      return { ...entry, error: describe(error) };
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
    options: { ...common, json: { type: 'boolean' }, kind: { type: 'string' } },
  });
  if (values.help) return help('inspect');
  const global = values.global === true;
  const name = oneName('inspect', positionals);
  const found = find('inspect', name, global, kindOption('inspect', values.kind));
  const seen = look(found, global);
  if (seen === null) throw new CliError(`interlocked: '${name}' was removed meanwhile`, Exit.notFound);
  write(values.json ? JSON.stringify(seen.json, null, 2) : seen.text);
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
  const global = values.global === true;
  const { kind, name } = find('unlink', oneName('unlink', positionals), global, kindOption('unlink', values.kind));
  if (kind === 'lock' && !values.force) {
    const info = inspectLock(name, global);
    const { holders, waiters, dead } = info ? summarize(info) : { holders: 0, waiters: 0, dead: 0 };
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
    options: { ...common, interval: { type: 'string' }, kind: { type: 'string' } },
  });
  if (values.help) return help('watch');
  const interval = values.interval === undefined ? 500 : Number(values.interval);
  if (!Number.isInteger(interval) || interval < 10)
    usage('--interval must be a whole number of ms, 10 or more', 'watch');
  const global = values.global === true;
  const name = oneName('watch', positionals);
  const found = find('watch', name, global, kindOption('watch', values.kind));
  const tty = process.stdout.isTTY === true;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  for (;;) {
    const text = look(found, global)?.text ?? `no ${found.kind} named '${name}' (removed)`;
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

function pruneCommand(args: string[]): number {
  const { values } = parse('prune', {
    args,
    strict: true,
    options: { ...common, json: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  });
  if (values.help) return help('prune');
  if (!canList) {
    write(
      `interlocked prune: nothing to do on ${process.platform}: an object there goes with the last process that has it open`,
    );
    return Exit.ok;
  }
  const rows = prune(values['dry-run'] === true);
  if (values.json) {
    write(JSON.stringify(rows, null, 2));
  } else {
    const gone = rows.filter((r) => r.action !== 'kept').length;
    for (const r of rows) write(`${r.action.padEnd(12)}  ${r.kind} ${r.name}: ${r.why}`);
    write(`${gone} ${values['dry-run'] ? 'would be removed' : 'removed'}, ${rows.length - gone} kept`);
  }
  return Exit.ok;
}

function version(): number {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  write(pkg.version);
  return Exit.ok;
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
      case 'prune':
        return pruneCommand(rest);
      case '-v':
      case '--version':
      case 'version':
        return version();
      default:
        // One line, not the whole help: a typo deserves a short answer.
        throw new CliError(
          `interlocked: unknown command '${command}' (commands: ${COMMANDS.join(', ')}; see interlocked --help)`,
          Exit.usage,
        );
    }
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof InterlockError) {
      process.stderr.write(`interlocked: ${describe(error)}\n`);
      const usage = ['ERR_INVALID_NAME', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE'];
      return usage.includes(error.code) ? Exit.usage : Exit.error;
    }
    throw error;
  }
}

// CommonJS has no top-level await. A rejection (a bug) ends the process as an uncaught error would.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
