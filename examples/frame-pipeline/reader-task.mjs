// A Piscina task: reads one frame under its slot's read lock, checks it is whole, and does the
// CPU-heavy part (a luminance histogram) outside the lock on a copy.
import { RwLock, SharedMemory } from 'interlocked';
import { HEADER_BYTES, checksum, lockName, memoryBytes, slotOffset } from './frames.mjs';

const handles = new Map(); // opened once per worker, by name
function open(name, frameSize, slot) {
  let h = handles.get(name);
  if (!h) {
    h = { memory: SharedMemory.open(name, { size: memoryBytes(frameSize) }), locks: new Map() };
    handles.set(name, h);
  }
  let lock = h.locks.get(slot);
  if (!lock) {
    lock = RwLock.open(lockName(name, slot));
    h.locks.set(slot, lock);
  }
  return { memory: h.memory, lock };
}

export default async function readFrame({ name, frameSize, slot }) {
  const { memory, lock } = open(name, frameSize, slot);
  const t0 = performance.now();
  const guard = await lock.read();
  const waited = performance.now() - t0;
  const b = memory.buffer;
  const at = slotOffset(slot, frameSize);
  const seq = b.readUInt32LE(at);
  const torn =
    seq !== b.readUInt32LE(at + HEADER_BYTES + frameSize) ||
    b.readUInt32LE(at + HEADER_BYTES + frameSize + 4) !== checksum(b, at + HEADER_BYTES, frameSize);
  const frame = Buffer.from(b.subarray(at + HEADER_BYTES, at + HEADER_BYTES + frameSize));
  const latency = Date.now() - b.readDoubleLE(at + 8);
  guard.release();
  const histogram = new Uint32Array(256);
  for (let pass = 0; pass < 4; pass++) for (let i = pass; i < frame.length; i += 4) histogram[frame[i]]++;
  return { seq, torn, waited, latency, peak: histogram.indexOf(Math.max(...histogram)) };
}
