// `interlocked prune`: removes the objects that no live process uses, so that /dev/shm does not fill
// up with what finished or crashed programs left behind. Linux only (elsewhere an object exists only
// while some process has it open, and goes with the last one). Every process that opens an object
// for use marks it (a shared OFD lock that the kernel drops when the process closes it or dies): an
// object without that mark is unused, whatever pid namespace its users were in.
import { describe, inUse, listObjects, unlinkObject, type Kind } from './objects.js';

export interface PruneRow {
  kind: Kind;
  name: string;
  action: 'removed' | 'would remove' | 'kept';
  removed: boolean;
  why: string;
}

/** Looks at every object; removes (unless `dryRun`) those nobody uses; says why for each. */
export function prune(dryRun: boolean): PruneRow[] {
  const rows: PruneRow[] = [];
  for (const entry of listObjects()) {
    const row = (action: PruneRow['action'], why: string) =>
      rows.push({
        kind: entry.kind,
        name: entry.managerName ?? entry.name,
        action,
        removed: action === 'removed',
        why,
      });
    if (entry.error !== undefined) {
      row('kept', entry.error);
      continue;
    }
    try {
      const used = inUse(entry.kind, entry.name);
      if (used === null) continue; // removed meanwhile
      if (used) {
        row('kept', 'in use: a live process has it open');
        continue;
      }
      if (!dryRun) unlinkObject(entry.kind, entry.name);
      row(dryRun ? 'would remove' : 'removed', 'unused');
    } catch (error) {
      row('kept', describe(error));
    }
  }
  return rows;
}
