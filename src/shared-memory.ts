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

/**
 * The largest segment one Buffer can view in this Node.js (`buffer.constants.MAX_LENGTH`: 4 GiB on
 * Node.js 20), and so the largest `size` that `SharedMemory.open()` takes.
 */
export const MAX_SHARED_MEMORY_SIZE = bufferConstants.MAX_LENGTH;

const OPEN_KEYS = ['size', 'create', ...COMMON_KEYS] as const;

/** Options of `SharedMemory.open()`, besides `scope` and `mode`. */
export interface SharedMemoryOptions extends CommonOptions {
  /**
   * Bytes, 1 to `MAX_SHARED_MEMORY_SIZE` (`buffer.constants.MAX_LENGTH`); required to create. Opening
   * an existing segment with a larger size fails. A new segment's pages are reserved at creation:
   * no room is `ERR_NO_SPACE` then, never a crash on first write. Without it, only an existing
   * segment opens (`ERR_NOT_FOUND` otherwise), with its own size.
   */
  size?: number | undefined;
  /** `true` (default): open or create; `'exclusive'`: create, fail if it exists; `false`: open only. */
  create?: boolean | 'exclusive' | undefined;
}

/**
 * A named segment of memory shared by every process and thread that opens the same name. The
 * `buffer` is a zero-copy view of the mapping. New memory reads as zeros.
 *
 * The segment outlives the processes that use it (Linux: `/dev/shm/interlock.mem.<name>`) until
 * {@link SharedMemory.unlink} removes its name; on Windows it exists while some process has it open.
 * Guard its contents with an {@link RwLock}: the memory itself has no locking.
 *
 * @example
 * ```ts
 * import { SharedMemory } from 'interlocked';
 *
 * using mem = SharedMemory.open('frames', { size: 1 << 20 }); // closed at the end of the scope
 * if (mem.created) mem.buffer.fill(0xff);
 * console.log(mem.size, mem.buffer.readUInt32LE(0));
 * ```
 */
export class SharedMemory implements Disposable {
  /** The name it was opened with. */
  readonly name: string;
  /** Its size in bytes: an existing segment keeps its own size, which may exceed the `size` asked. */
  readonly size: number;
  /** Whether this call created the segment (otherwise it opened an existing one). */
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

  /**
   * Opens the segment `name`, or creates it (reserving every page) when `create` allows and `size` is
   * given. A newly created segment is published under its name only once it has its full size.
   *
   * @param name - 1 to 200 characters of `[A-Za-z0-9._-]`.
   * @param options - `size`, `create`, `scope`, `mode`.
   * @returns The open segment; close it with `close()` (or `using`).
   * @throws For a bad argument (before any system call), a `TypeError` or `RangeError` that is also an
   * {@link InterlockError}: `ERR_INVALID_ARG_TYPE` (the name, options or an option of the wrong type),
   * `ERR_INVALID_NAME` (the name), `ERR_INVALID_ARG_VALUE` (an unknown option key, a bad `create` or
   * `scope`, `create: 'exclusive'` without `size`), `ERR_OUT_OF_RANGE` (`size` not an integer from 1
   * to `MAX_SHARED_MEMORY_SIZE`, `mode`). Otherwise an {@link InterlockError} with `code`:
   * `ERR_EXISTS` (`create: 'exclusive'` and the name exists);
   * `ERR_NOT_FOUND` (`create: false`, or no `size`, and the name does not exist);
   * `ERR_SIZE_MISMATCH` (the existing segment is smaller than `size`);
   * `ERR_INCOMPATIBLE` (the existing segment is empty, or larger than one Buffer can view);
   * `ERR_NO_SPACE` (no room for a new segment: a full `/dev/shm`, the commit limit);
   * an errno name such as `'EACCES'` (the OS failed, as Node's system errors: `errno`, `syscall`,
   * `path`; on Windows `'EPERM'` for a `'global'` creation without SeCreateGlobalPrivilege);
   * `ERR_UNSUPPORTED_PLATFORM` (no native support here).
   */
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

  /**
   * Removes the name; processes that have it open keep their mapping, and the next `open()` of the
   * name creates a new segment. On Windows a no-op (a named object lives while it is open): `false`.
   *
   * @param name - The segment's name.
   * @param options - `scope` (Windows; ignored on POSIX).
   * @returns `true` if a name was removed, `false` if there was none.
   * @throws A `TypeError` (also an {@link InterlockError}) for a bad argument: `ERR_INVALID_ARG_TYPE`,
   * `ERR_INVALID_ARG_VALUE`, `ERR_INVALID_NAME`. An {@link InterlockError} with an errno code
   * (`'EACCES'`, ...) when the OS refuses, or `ERR_UNSUPPORTED_PLATFORM`.
   */
  static unlink(name: string, options?: Pick<CommonOptions, 'scope'>): boolean {
    checkName(name);
    const { global } = checkCommon(checkObject<CommonOptions>(options, 'options', SCOPE_KEYS));
    return addon.unlink(ObjectKind.Memory, name, global);
  }

  /**
   * Zero-copy view of the mapping: writes are seen at once by every process that has the segment
   * open. Empty (length 0) after close(), and every Buffer taken from it is detached then. A view
   * keeps the mapping alive on its own: dropping the `SharedMemory` without `close()` unmaps nothing.
   */
  get buffer(): Buffer {
    return this.#buffer;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /**
   * Unmaps the memory of this handle; every view of it becomes empty (length 0), so a stale view never
   * touches unmapped memory. The segment and its name stay (see {@link SharedMemory.unlink}).
   * Idempotent; never throws.
   */
  close(): void {
    if (this.#handle === null) return;
    this.#handle.close();
    this.#handle = null;
    this.#buffer = Buffer.alloc(0);
  }

  /** The same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
