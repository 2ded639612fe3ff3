// The frame layout shared by the producer and the consumers: a ring of slots in one SharedMemory,
// each slot guarded by its own RwLock, plus a small control block.
//
//   control (64 bytes): [0] latest sequence number written, [1] producer done, [2] ready processes
//   slot i: header { seq u32, size u32, capturedAt f64 }, payload (size bytes), trailer { seq u32, checksum u32 }
export const CONTROL_BYTES = 64;
export const HEADER_BYTES = 16;
export const TRAILER_BYTES = 8;
export const SLOTS = 8;

export function slotBytes(frameSize) {
  return HEADER_BYTES + frameSize + TRAILER_BYTES;
}

export function memoryBytes(frameSize) {
  return CONTROL_BYTES + SLOTS * slotBytes(frameSize);
}

export function slotOffset(slot, frameSize) {
  return CONTROL_BYTES + slot * slotBytes(frameSize);
}

export function control(buffer) {
  return new Int32Array(buffer.buffer, buffer.byteOffset, CONTROL_BYTES / 4);
}

/** FNV-1a over the payload, 4 bytes at a time (fast enough for megabyte frames). */
export function checksum(buffer, offset, length) {
  const words = new Uint32Array(buffer.buffer, buffer.byteOffset + offset, length >>> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

export const lockName = (base, slot) => `${base}.slot.${slot}`;
