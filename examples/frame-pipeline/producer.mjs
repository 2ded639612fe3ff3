// The capture process: writes video-like frames into the ring at a target rate, each under the
// write lock of its slot. argv: name frameSize rate durationMs
import { setTimeout as sleep } from 'node:timers/promises';
import { RwLock, SharedMemory } from 'interlocked';
import { HEADER_BYTES, SLOTS, checksum, control, lockName, memoryBytes, slotOffset } from './frames.mjs';

const [name, sizeText, rateText, durationText] = process.argv.slice(2);
const frameSize = Number(sizeText);
const rate = Number(rateText);
const duration = Number(durationText);
const memory = SharedMemory.open(name, { size: memoryBytes(frameSize) });
const locks = Array.from({ length: SLOTS }, (_, i) => RwLock.open(lockName(name, i)));
const ctl = control(memory.buffer);
const waits = [];

Atomics.add(ctl, 2, 1);
const started = performance.now();
const words = new Uint32Array(frameSize >>> 2);
for (let seq = 1; performance.now() - started < duration; seq++) {
  const slot = seq % SLOTS;
  const at = slotOffset(slot, frameSize);
  // A new "frame": pixels that change with the sequence number.
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(seq, 2654435761) ^ i;
  const t0 = performance.now();
  const guard = await locks[slot].write();
  waits.push(performance.now() - t0);
  const b = memory.buffer;
  b.writeUInt32LE(seq, at);
  b.writeUInt32LE(frameSize, at + 4);
  b.writeDoubleLE(Date.now(), at + 8);
  b.set(new Uint8Array(words.buffer), at + HEADER_BYTES);
  b.writeUInt32LE(seq, at + HEADER_BYTES + frameSize);
  b.writeUInt32LE(checksum(b, at + HEADER_BYTES, frameSize), at + HEADER_BYTES + frameSize + 4);
  guard.release();
  Atomics.store(ctl, 0, seq);
  const next = started + (seq * 1000) / rate;
  const now = performance.now();
  if (next > now) await sleep(next - now);
}
Atomics.store(ctl, 1, 1);
process.send?.({ written: Atomics.load(ctl, 0), waits });
for (const l of locks) l.close();
memory.close();
