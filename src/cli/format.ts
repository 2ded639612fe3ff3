// Plain-text tables for the CLI.
import type { Holder, LockInfo } from '../rwlock.js';
import type { EventState, HolderSummary, ObjectEntry } from './objects.js';

export interface ListRow extends ObjectEntry, Partial<HolderSummary> {
  lock?: LockInfo;
  event?: EventState;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

function holderText(h: Holder): string {
  const since = h.since ? `, since ${new Date(h.since).toISOString()}` : '';
  return `pid ${h.pid}${h.count > 1 ? ` x${h.count}` : ''} (${h.alive ? 'alive' : 'DEAD'}${since})`;
}

function eventText(e: EventState): string {
  return `${e.set ? 'set' : 'not set'} (${e.manualReset ? 'manual' : 'auto'}-reset)`;
}

export function formatList(rows: ListRow[]): string {
  if (rows.length === 0) return 'no interlocked objects on this machine';
  return table(
    ['KIND', 'NAME', 'SIZE', 'HOLDERS', 'WAITERS', 'DEAD'],
    rows.map((r) => {
      const name = r.managerName ?? r.name;
      const size = r.size === null ? '?' : formatBytes(r.size);
      if (r.error !== undefined) return [r.kind, name, size, r.error, '?', '?'];
      if (r.kind === 'event' && r.event) return [r.kind, name, size, eventText(r.event), '-', '-'];
      if (r.kind !== 'lock') return [r.kind, name, size, '-', '-', '-'];
      if (!r.lock) return [r.kind, name, size, '? (unknown)', '?', '?'];
      const info = r.lock;
      const holders = info.writer
        ? `writer ${info.writer.pid}`
        : info.readers.length > 0
          ? `${info.readers.length} reader${info.readers.length > 1 ? 's' : ''} (${info.readers.map((h) => h.pid).join(', ')})`
          : 'free';
      return [r.kind, name, size, holders, String(r.waiters ?? 0), r.dead ? `${r.dead} dead` : 'no'];
    }),
  );
}

export function formatInspect(info: LockInfo): string {
  const rows: string[][] = [
    ['writer', info.writer ? holderText(info.writer) : 'none'],
    ['readers', info.readers.length ? info.readers.map(holderText).join('\n') : 'none'],
    [
      'waiting',
      `${info.waiting.writers} write${info.waiting.writers === 1 ? '' : 's'}, ${info.waiting.readers} read${info.waiting.readers === 1 ? '' : 's'}`,
    ],
    [
      'waiters',
      info.waiters.length
        ? info.waiters
            .map((w) => `pid ${w.pid}: ${w.writers} write, ${w.readers} read (${w.alive ? 'alive' : 'DEAD'})`)
            .join('\n')
        : 'none',
    ],
    ['abandoned', info.abandoned ? 'yes: a writer died inside; the data may be torn' : 'no'],
    [
      'processes',
      `${info.processes} of ${info.maxProcesses} slots attached` +
        (info.liveProcesses < info.processes ? ` (${info.processes - info.liveProcesses} of them dead)` : ''),
    ],
  ];
  return block(`lock '${info.name}'`, rows);
}

export function formatEvent(name: string, e: EventState): string {
  return block(`event '${name}'`, [
    ['type', e.manualReset ? 'manual-reset' : 'auto-reset'],
    ['state', e.set ? 'set' : 'not set'],
  ]);
}

export function formatMemory(name: string, size: number, users?: { pids: number[]; unreadable: number }): string {
  const rows = [['size', `${formatBytes(size)} (${size} bytes)`]];
  if (users) rows.push(['used by', usersText(users)]);
  return block(`memory '${name}'`, rows);
}

export function usersText(users: { pids: number[]; unreadable: number }): string {
  const known = users.pids.length ? `pid ${users.pids.join(', ')}` : 'no process';
  return users.unreadable ? `${known} (and ${users.unreadable} processes that could not be looked at)` : known;
}

// A title, then one `key  value` line per row; multi-line values continue under their column.
function block(title: string, rows: string[][]): string {
  const lines = [title];
  for (const [key, value] of rows) {
    value!.split('\n').forEach((part, i) => lines.push(`  ${(i === 0 ? key! : '').padEnd(10)}  ${part}`));
  }
  return lines.join('\n');
}
