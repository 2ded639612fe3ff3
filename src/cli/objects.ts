// What the CLI looks at: interlocked's named objects on this machine, found without creating any.
import { readdirSync } from 'node:fs';
import { ObjectKind, addon } from '../binding.js';
import { RwLock, type LockInfo } from '../rwlock.js';

export type Kind = 'lock' | 'event' | 'memory';
export const kinds: readonly Kind[] = ['lock', 'event', 'memory'];

const nativeKind: Record<Kind, ObjectKind> = {
  lock: ObjectKind.Lock,
  event: ObjectKind.Event,
  memory: ObjectKind.Memory,
};
// The prefix of each kind's backing file in /dev/shm (src/native/core/names.cc).
const filePrefix: Record<Kind, string> = {
  lock: 'interlock.lock.',
  event: 'interlock.event.',
  memory: 'interlock.mem.',
};

export interface ObjectEntry {
  kind: Kind;
  name: string;
  /** Bytes of its shared segment. */
  size: number;
}

/** Where the objects of this machine can be listed: Linux keeps them as files in /dev/shm. */
export const canList = process.platform === 'linux';

/** Every interlocked object on this machine (Linux), sorted by kind then name. */
export function listObjects(): ObjectEntry[] {
  const out: ObjectEntry[] = [];
  for (const file of readdirSync('/dev/shm')) {
    for (const kind of kinds) {
      if (!file.startsWith(filePrefix[kind])) continue;
      const name = file.slice(filePrefix[kind].length);
      const size = objectSize(kind, name);
      if (size !== null) out.push({ kind, name, size });
    }
  }
  return out.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || a.name.localeCompare(b.name));
}

/** The size of an existing object, or null when there is none. Never creates one. */
export function objectSize(kind: Kind, name: string, global = false): number | null {
  return addon.objectSize(nativeKind[kind], name, global);
}

export function unlinkObject(kind: Kind, name: string, global = false): boolean {
  return addon.unlink(nativeKind[kind], name, global);
}

/**
 * A lock's state, read without attaching (no slot, no recovery: dead holders show as dead), or
 * null when there is no lock by that name.
 */
export function inspectLock(name: string, global = false): LockInfo | null {
  return RwLock.peek(name, global ? { scope: 'global' } : undefined);
}

export interface HolderSummary {
  holders: number;
  waiters: number;
  /** Holders or waiting processes that are dead and not yet recovered. */
  dead: number;
}

export function summarize(info: LockInfo): HolderSummary {
  const holders = [...(info.writer ? [info.writer] : []), ...info.readers];
  return {
    holders: holders.length,
    waiters: info.waiters.reduce((n, w) => n + w.readers + w.writers, 0),
    dead: holders.filter((h) => !h.alive).length + info.waiters.filter((w) => !w.alive).length,
  };
}
