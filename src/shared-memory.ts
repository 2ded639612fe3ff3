import { constants as bufferConstants } from 'node:buffer';
import { debug, debugEnabled } from './diagnostics.js';
import { ObjectKind, addon, type NativeSharedMemory } from './binding.js';
import { invalidArgValue } from './errors.js';
import {
  COMMON_KEYS,
  SCOPE_KEYS,
  checkCommon,
  checkName,
  checkObject,
  checkPositiveInteger,
  type CommonOptions,
} from './options.js';

/** The largest segment one Buffer can view in this Node.js (`buffer.constants.MAX_LENGTH`). */
export const MAX_SHARED_MEMORY_SIZE = bufferConstants.MAX_LENGTH;

const OPEN_KEYS = ['size', 'create', ...COMMON_KEYS] as const;

export interface SharedMemoryOptions extends CommonOptions {
  /**
   * Bytes, 1 to `MAX_SHARED_MEMORY_SIZE` (`buffer.constants.MAX_LENGTH`); required to create. Opening
   * an existing segment with a larger size fails. A new segment's pages are reserved at creation:
   * no room is `ERR_NO_SPACE` then, never a crash on first write.
   */
  size?: number | undefined;
  /** `true` (default): open or create; `'exclusive'`: create, fail if it exists; `false`: open only. */
  create?: boolean | 'exclusive' | undefined;
}

/**
 * A named segment of memory shared by every process and thread that opens the same name. The
 * `buffer` is a zero-copy view of the mapping. New memory reads as zeros.
 */
export class SharedMemory implements Disposable {
  readonly name: string;
  readonly size: number;
  readonly created: boolean;
  #handle: NativeSharedMemory | null;
  #buffer: Buffer;

  private constructor(name: string, handle: NativeSharedMemory) {
    this.name = name;
    this.#handle = handle;
    this.size = handle.size;
    this.created = handle.created;
    this.#buffer = Buffer.from(handle.buffer);
  }

  static open(name: string, options?: SharedMemoryOptions): SharedMemory {
    checkName(name);
    const o = checkObject<SharedMemoryOptions>(options, 'options', OPEN_KEYS);
    const { global, mode } = checkCommon(o);
    const create = o.create ?? true;
    if (create !== true && create !== false && create !== 'exclusive') {
      throw invalidArgValue('options.create', create, "must be one of: true, false, 'exclusive'");
    }
    const size = o.size === undefined ? 0 : checkPositiveInteger(o.size, 'options.size', MAX_SHARED_MEMORY_SIZE);
    if (create === 'exclusive' && size === 0) {
      throw invalidArgValue('options.size', o.size, "is required with create: 'exclusive'");
    }
    const createMode = create === true ? 0 : create === 'exclusive' ? 1 : 2;
    const memory = new SharedMemory(
      name,
      new addon.SharedMemoryHandle(name, size, createMode, mode, global, MAX_SHARED_MEMORY_SIZE),
    );
    if (debugEnabled) debug('%s shared memory %s (%d bytes)', memory.created ? 'created' : 'opened', name, memory.size);
    return memory;
  }

  /** Removes the name; processes that have it open keep their mapping. True if a name was removed. */
  static unlink(name: string, options?: Pick<CommonOptions, 'scope'>): boolean {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options', SCOPE_KEYS));
    return addon.unlink(ObjectKind.Memory, name, global);
  }

  /** Zero-copy view of the mapping. Empty (length 0) after close(). */
  get buffer(): Buffer {
    return this.#buffer;
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  /** Unmaps the memory; every view of it becomes empty. Idempotent. */
  close(): void {
    if (this.#handle === null) return;
    this.#handle.close();
    this.#handle = null;
    this.#buffer = Buffer.alloc(0);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
