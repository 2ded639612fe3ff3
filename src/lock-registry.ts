// The names a LockManager prefix has used, in one shared-memory table, so that query() in any process
// can find every lock of the prefix.
//
// Layout (little-endian int32 words): word 0 the magic, word 1 the number of entries claimed; then
// fixed entries of ENTRY_SIZE bytes from HEADER_SIZE: word 0 the state (0: being written or
// abandoned, 1: published), word 1 the name's length, then the name (ASCII, at most 200 bytes).
// Appending is lock-free and synchronous: claim an index with an atomic add, write the bytes, then
// publish with an atomic store. Two processes that add the same name at the same moment may both
// append it: readers skip duplicates. An entry whose writer died before publishing stays unpublished
// and is skipped. Entries are never removed; a full table registers no more names (their locks
// still work; query() then lists them only in the processes that use them).
import { InterlockError } from './errors.js';
import { MAX_NAME_LENGTH } from './lock-names.js';
import type { Scope } from './options.js';
import { SharedMemory } from './shared-memory.js';

const MAGIC = 0x31524c57; // 'WLR1'
const HEADER_SIZE = 64;
const ENTRY_SIZE = 256;
const TABLE_SIZE = 1 << 20;
// Whole entries only: 4095 (a fractional bound let entry 4095 run past the end of the table).
export const REGISTRY_CAPACITY = Math.floor((TABLE_SIZE - HEADER_SIZE) / ENTRY_SIZE);

export class LockRegistry {
  readonly name: string;
  readonly #scope: Scope;
  #memory: SharedMemory | null = null;
  #words: Int32Array | null = null;

  constructor(name: string, scope: Scope) {
    this.name = name;
    this.#scope = scope;
  }

  /** Adds a name unless it is there. False when the table is full. */
  add(name: string): boolean {
    const words = this.#open(true)!;
    const bytes = Buffer.from(name, 'latin1');
    if (bytes.length > MAX_NAME_LENGTH) throw new RangeError('registry names are at most 200 bytes');
    const buffer = this.#memory!.buffer;
    const claimed = Math.min(Atomics.load(words, 1), REGISTRY_CAPACITY);
    for (let i = 0; i < claimed; i++) {
      const base = HEADER_SIZE + i * ENTRY_SIZE;
      if (Atomics.load(words, base / 4) !== 1 || words[base / 4 + 1] !== bytes.length) continue;
      if (buffer.compare(bytes, 0, bytes.length, base + 8, base + 8 + bytes.length) === 0) return true;
    }
    if (Atomics.load(words, 1) >= REGISTRY_CAPACITY) return false;
    const index = Atomics.add(words, 1, 1);
    if (index >= REGISTRY_CAPACITY) return false;
    const base = HEADER_SIZE + index * ENTRY_SIZE;
    words[base / 4 + 1] = bytes.length;
    bytes.copy(buffer, base + 8);
    Atomics.store(words, base / 4, 1);
    return true;
  }

  /**
   * Every published name, once each, in the order they were first added. A look: it creates and
   * writes nothing (no registry yet: no names).
   */
  list(): string[] {
    const words = this.#open(false);
    if (words === null) return [];
    const buffer = this.#memory!.buffer;
    const claimed = Math.min(Atomics.load(words, 1), REGISTRY_CAPACITY);
    const names = new Set<string>();
    for (let i = 0; i < claimed; i++) {
      const base = HEADER_SIZE + i * ENTRY_SIZE;
      if (Atomics.load(words, base / 4) !== 1) continue;
      const length = words[base / 4 + 1]!;
      if (length < 1 || length > MAX_NAME_LENGTH) continue; // damaged: skip it
      names.add(buffer.toString('latin1', base + 8, base + 8 + length));
    }
    return [...names];
  }

  // create: make the table if it is missing and stamp its magic (add); otherwise only look (list):
  // null when there is no table, or it is not stamped yet.
  #open(create: boolean): Int32Array | null {
    if (this.#words !== null) return this.#words;
    let memory: SharedMemory;
    try {
      memory = create
        ? SharedMemory.open(this.name, { size: TABLE_SIZE, scope: this.#scope })
        : SharedMemory.open(this.name, { create: false, scope: this.#scope });
    } catch (error) {
      if (!create && error instanceof InterlockError && error.code === 'ERR_NOT_FOUND') return null;
      throw error;
    }
    const notOurs = () => {
      memory.close();
      return new InterlockError('ERR_INCOMPATIBLE', `the shared memory '${this.name}' is not a lock name registry`);
    };
    if (memory.size !== TABLE_SIZE) throw notOurs();
    const words = new Int32Array(memory.buffer.buffer, memory.buffer.byteOffset, TABLE_SIZE / 4);
    const magic = create ? Atomics.compareExchange(words, 0, 0, MAGIC) : Atomics.load(words, 0);
    if (magic !== 0 && magic !== MAGIC) throw notOurs();
    if (!create && magic === 0) {
      memory.close();
      return null;
    }
    this.#memory = memory;
    this.#words = words;
    return words;
  }
}
