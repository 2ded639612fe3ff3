// What the CLI looks at: interlocked's named objects on this machine, found and read without
// creating, opening for use or changing any.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { ObjectKind, addon } from '../binding.js';
import { InterlockError } from '../errors.js';
import { decodeName, encodeName } from '../lock-names.js';
import { DEFAULT_LOCK_PREFIX } from '../lock-manager.js';
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
const SHM = '/dev/shm';
// A LockManager's registry of names: the SharedMemory `<prefix>-.registry` (src/lock-registry.ts).
const REGISTRY_SUFFIX = '-.registry';

export interface ObjectEntry {
  kind: Kind;
  name: string;
  /** Bytes of its shared segment; null when it could not be read. */
  size: number | null;
  /** Why it could not be looked at (another user's object, say). */
  error?: string;
  /** For a LockManager's lock: the name its program used, with the manager's prefix. */
  managerName?: string;
}

export interface EventState {
  manualReset: boolean;
  set: boolean;
}

/** Where the objects of this machine can be listed: Linux keeps them as files in /dev/shm. */
export const canList = process.platform === 'linux';

export function backingPath(kind: Kind, name: string): string {
  return `${SHM}/${filePrefix[kind]}${name}`;
}

/** Every interlocked object on this machine (Linux), sorted by kind then name. */
export function listObjects(): ObjectEntry[] {
  const out: ObjectEntry[] = [];
  const prefixes = managerPrefixes();
  for (const file of readdirSync(SHM)) {
    for (const kind of kinds) {
      if (!file.startsWith(filePrefix[kind])) continue;
      const name = file.slice(filePrefix[kind].length);
      const entry: ObjectEntry = { kind, name, size: null };
      try {
        entry.size = objectSize(kind, name);
        if (entry.size === null) continue; // removed meanwhile
      } catch (error) {
        entry.error = describe(error);
      }
      const managerName = kind === 'lock' ? managerNameOf(name, prefixes) : undefined;
      if (managerName !== undefined) entry.managerName = managerName;
      out.push(entry);
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

/** A lock's state, read without attaching (no slot, no recovery: dead holders show as dead). */
export function inspectLock(name: string, global = false): LockInfo | null {
  return RwLock.peek(name, global ? { scope: 'global' } : undefined);
}

/** An event's type and state, read without opening it for use (nothing is consumed). */
export function inspectEvent(name: string, global = false): EventState | null {
  return addon.peekEvent(name, global);
}

/**
 * The prefixes of the LockManagers that have recorded names on this machine (their registries in
 * /dev/shm), longest first, with the default one always among them.
 */
export function managerPrefixes(): string[] {
  const found = new Set([DEFAULT_LOCK_PREFIX]);
  if (canList) {
    for (const file of readdirSync(SHM)) {
      if (file.startsWith(filePrefix.memory) && file.endsWith(REGISTRY_SUFFIX)) {
        found.add(file.slice(filePrefix.memory.length, -REGISTRY_SUFFIX.length));
      }
    }
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** `prefix + name` as the program wrote it, when a lock's name is a LockManager's mapped one. */
export function managerNameOf(lockName: string, prefixes = managerPrefixes()): string | undefined {
  for (const prefix of prefixes) {
    if (!lockName.startsWith(prefix)) continue;
    const mapped = lockName.slice(prefix.length);
    if (!mapped.startsWith('-')) continue; // plain names map to themselves
    const name = decodeName(mapped);
    if (name !== null) return prefix + name;
  }
  return undefined;
}

export interface Found {
  kind: Kind;
  name: string; // the object's own name
}

const OBJECT_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * The object names `name` may stand for: itself, and a LockManager lock's, reading `name` as a
 * prefix (up to any '.', or none) and a name as the program wrote it (`weblocks.user:42`).
 * No listing is needed, so this works where objects cannot be listed (Windows) too.
 */
export function candidateNames(name: string): string[] {
  const out = new Set<string>();
  if (OBJECT_NAME.test(name)) out.add(name);
  const splits = [0]; // a LockManager with prefix: ''
  for (let i = name.indexOf('.'); i !== -1; i = name.indexOf('.', i + 1)) splits.push(i + 1);
  for (const at of splits) {
    if (at >= name.length) continue;
    const mapped = name.slice(0, at) + encodeName(name.slice(at));
    if (OBJECT_NAME.test(mapped)) out.add(mapped);
  }
  return [...out];
}

function exists(kind: Kind, name: string, global: boolean): boolean {
  // A Windows event is a kernel event, not a segment: look for it as one.
  if (kind === 'event' && process.platform === 'win32') {
    try {
      return inspectEvent(name, global) !== null;
    } catch {
      return true; // something by that name that is not one of ours
    }
  }
  return objectSize(kind, name, global) !== null;
}

export interface Found {
  kind: Kind;
  name: string; // the object's own name
}

/** The existing objects that `name` stands for (see candidateNames), optionally of one kind. */
export function resolve(name: string, global: boolean, only?: Kind): Found[] {
  const found: Found[] = [];
  for (const candidate of candidateNames(name)) {
    for (const kind of only ? [only] : kinds) {
      if (exists(kind, candidate, global)) found.push({ kind, name: candidate });
    }
  }
  return found;
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

/** Whether some process has the object open for use (its users' mark); null when there is none. */
export function inUse(kind: Kind, name: string, global = false): boolean | null {
  return addon.objectInUse(nativeKind[kind], name, global);
}

export interface Users {
  /** Processes that have the object's file open or mapped. */
  pids: number[];
  /** Processes whose open files could not be read (another user's, without privileges). */
  unreadable: number;
}

/**
 * Which processes have an object's backing file open or mapped (Linux, for display): the file's
 * inode among each process's mappings and descriptors in /proc. (A creator's mapping is of the file
 * before it had its name, so paths would not do.) What cannot be read is counted, not guessed.
 */
export function usersOf(kind: Kind, name: string): Users {
  const pids: number[] = [];
  let unreadable = 0;
  let ino: number;
  try {
    ino = statSync(backingPath(kind, name)).ino;
  } catch {
    return { pids, unreadable };
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      // A mapping's line: address perms offset dev inode path.
      const mapped = readFileSync(`/proc/${pid}/maps`, 'utf8')
        .split('\n')
        .some((line) => line.split(/\s+/)[4] === String(ino) && line.includes(`${SHM}/`));
      const open =
        mapped ||
        readdirSync(`/proc/${pid}/fd`).some((fd) => {
          try {
            const st = statSync(`/proc/${pid}/fd/${fd}`);
            return st.ino === ino && readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${SHM}/`);
          } catch {
            return false; // closed meanwhile
          }
        });
      if (open) pids.push(pid);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH') continue; // exited meanwhile
      unreadable++;
    }
  }
  return { pids, unreadable };
}

export function describe(error: unknown): string {
  if (error instanceof InterlockError) {
    if (error.code === 'EACCES' || error.code === 'EPERM') return 'not readable (permission denied)';
    // A system error's message starts with its code already ('EMFILE: ...').
    return error.code.startsWith('ERR_') ? `${error.code}: ${error.message}` : error.message;
  }
  return (error as Error).message;
}
