// Plain-text tables for the CLI.
import type { Holder, LockInfo } from '../rwlock.js';
import type { HolderSummary, ObjectEntry } from './objects.js';

export interface ListRow extends ObjectEntry, Partial<HolderSummary> {
  lock?: LockInfo;
  error?: string;
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

export function formatList(rows: ListRow[]): string {
  if (rows.length === 0) return 'no interlocked objects on this machine';
  return table(
    ['KIND', 'NAME', 'SIZE', 'HOLDERS', 'WAITERS', 'DEAD'],
    rows.map((r) => {
      if (r.kind !== 'lock') return [r.kind, r.name, formatBytes(r.size), '-', '-', '-'];
      if (r.error !== undefined || !r.lock)
        return [r.kind, r.name, formatBytes(r.size), `? (${r.error ?? 'unknown'})`, '?', '?'];
      const info = r.lock;
      const holders = info.writer
        ? `writer ${info.writer.pid}`
        : info.readers.length > 0
          ? `${info.readers.length} reader${info.readers.length > 1 ? 's' : ''} (${info.readers.map((h) => h.pid).join(', ')})`
          : 'free';
      return [r.kind, r.name, formatBytes(r.size), holders, String(r.waiters ?? 0), r.dead ? `${r.dead} dead` : 'no'];
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
    ['processes', `${info.processes} of ${info.maxProcesses} slots attached`],
  ];
  // Multi-line values continue under their column.
  const lines = [`lock '${info.name}'`];
  for (const [key, value] of rows) {
    value!.split('\n').forEach((part, i) => lines.push(`  ${(i === 0 ? key! : '').padEnd(10)}  ${part}`));
  }
  return lines.join('\n');
}
