// The history recorder: every test process appends fixed-size event records to one SharedMemory log.
// A record's index is its sequence number, taken from a shared atomic counter; a process takes it
// while holding the lock for `granted` and `released`, so the log is a total order of what happened
// inside critical sections that trusts no clock.
import { SharedMemory } from 'interlocked';

export const EVENT_KINDS = [
  'request',
  'waiting',
  'granted',
  'released',
  'timedOut',
  'aborting',
  'aborted',
  'tryFailed',
  'downgraded',
  'killed',
  'exited',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface RawEvent {
  seq: number;
  kind: EventKind;
  p: number; // process index in the schedule
  r: number; // request id within the process (0 for process events)
  mode?: 'read' | 'write';
  tryOnly?: boolean;
  abandoned?: boolean;
  timeoutMs?: number;
  t: number; // CLOCK_MONOTONIC ms (process.hrtime), shared by the processes of a run
}

const RECORD = 24; // u8 kind+1, u8 p, u8 flags, u8 pad, u32 r, u32 timeout, u32 pad, f64 t
const HEADER = 64; // i32 counter at 0
export const LOG_CAPACITY = 64 * 1024;

export function logSize(): number {
  return HEADER + LOG_CAPACITY * RECORD;
}

const FLAG_WRITE = 1;
const FLAG_TRY = 2;
const FLAG_ABANDONED = 4;
const FLAG_HAS_MODE = 8;
const FLAG_HAS_TIMEOUT = 16;

const now = () => Number(process.hrtime.bigint()) / 1e6;

export class Recorder {
  readonly #memory: SharedMemory;
  readonly #counter: Int32Array;
  readonly #p: number;

  constructor(logName: string, processIndex: number) {
    this.#memory = SharedMemory.open(logName, { size: logSize() });
    this.#counter = new Int32Array(this.#memory.buffer.buffer, this.#memory.buffer.byteOffset, 1);
    this.#p = processIndex;
  }

  append(
    kind: EventKind,
    r: number,
    details: Partial<Pick<RawEvent, 'mode' | 'tryOnly' | 'abandoned' | 'timeoutMs'>> = {},
    p = this.#p,
  ): number {
    const seq = Atomics.add(this.#counter, 0, 1);
    if (seq >= LOG_CAPACITY) throw new Error('history log full');
    const at = HEADER + seq * RECORD;
    const b = this.#memory.buffer;
    let flags = 0;
    if (details.mode) flags |= FLAG_HAS_MODE | (details.mode === 'write' ? FLAG_WRITE : 0);
    if (details.tryOnly) flags |= FLAG_TRY;
    if (details.abandoned) flags |= FLAG_ABANDONED;
    if (details.timeoutMs !== undefined) flags |= FLAG_HAS_TIMEOUT;
    b.writeUInt8(p, at + 1);
    b.writeUInt8(flags, at + 2);
    b.writeUInt32LE(r, at + 4);
    b.writeUInt32LE(details.timeoutMs ?? 0, at + 8);
    b.writeDoubleLE(now(), at + 16);
    b.writeUInt8(EVENT_KINDS.indexOf(kind) + 1, at); // last: a record is complete once its kind is set
    return seq;
  }

  close(): void {
    this.#memory.close();
  }
}

/** Reads every complete record, in sequence order. A process killed mid-append leaves a hole. */
export function readLog(logName: string): RawEvent[] {
  const memory = SharedMemory.open(logName, { create: false });
  try {
    const b = memory.buffer;
    const count = Math.min(b.readInt32LE(0), LOG_CAPACITY);
    const events: RawEvent[] = [];
    for (let seq = 0; seq < count; seq++) {
      const at = HEADER + seq * RECORD;
      const kind = b.readUInt8(at);
      if (kind === 0) continue;
      const flags = b.readUInt8(at + 2);
      const e: RawEvent = {
        seq,
        kind: EVENT_KINDS[kind - 1]!,
        p: b.readUInt8(at + 1),
        r: b.readUInt32LE(at + 4),
        t: b.readDoubleLE(at + 16),
      };
      if (flags & FLAG_HAS_MODE) e.mode = flags & FLAG_WRITE ? 'write' : 'read';
      if (flags & FLAG_TRY) e.tryOnly = true;
      if (flags & FLAG_ABANDONED) e.abandoned = true;
      if (flags & FLAG_HAS_TIMEOUT) e.timeoutMs = b.readUInt32LE(at + 8);
      events.push(e);
    }
    return events;
  } finally {
    memory.close();
  }
}
