// The shared segment of one lock. Plain integers only (never a libc object: processes built against
// different C libraries may share it), each hot field on its own 64-byte line.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#ifdef INTERLOCK_MODEL_CHECK
// The model checker (test/native/model/) swaps in atomics that yield to its scheduler before each
// operation. It derives from std::atomic<T>, so the layout and the checks below stay the same.
#include "model_atomic.h"
#else
namespace interlock {
template <class T>
using SharedAtomic = std::atomic<T>;
}  // namespace interlock
#endif

namespace interlock {

constexpr uint32_t kLockMagic = 0x4B4C4E49;  // "INLK"
// 2: the initialiser holds the init hold (an OFD lock past the slots) while it initialises; a
// version-1 initialiser does not, and would be taken for dead.
// 3: eventual fairness: a free lock may be taken past young waiters (kStarving below ends that),
// and a release wakes one waiter (the oldest), not every flagged one, and none while the one it
// woke has not run yet (woken); starving writers take turns (turn_slot, turn_until_us). A version-2 process would neither honour kStarving nor
// wake the waiters a version-3 release leaves parked.
constexpr uint32_t kLockVersion = 3;
constexpr uint32_t kMaxSlots = 1024;
constexpr uint32_t kDefaultSlots = 64;

// State word: the only place the write lock is granted (by compare-and-swap).
namespace state {
constexpr uint32_t kWriterMask = 0x0FFF;        // writer's slot index + 1; 0 = no writer
constexpr uint32_t kActive = 1u << 12;          // the writer has drained the readers: it is inside
constexpr uint32_t kWritersWaiting = 1u << 13;  // some slot parks for the writer field
constexpr uint32_t kReadersWaiting = 1u << 14;  // some slot parks for a read
constexpr uint32_t kPoisoned = 1u << 15;        // a writer died inside; cleared by markConsistent()
// Some waiter has waited past the starvation bound: nobody but a starving waiter may take the lock
// (no barging) until every starving waiter is served or gone.
constexpr uint32_t kStarving = 1u << 16;
constexpr uint32_t kPhaseUnit = 1u << 17;  // bits 17..31 count write releases (ABA guard)

inline uint32_t writer_slot_plus_one(uint32_t s) {
  return s & kWriterMask;
}
}  // namespace state

// Slot flags: what the owning process's waiter thread parks for.
namespace slot_flag {
constexpr uint32_t kWantRead = 1;
constexpr uint32_t kWantWrite = 2;
constexpr uint32_t kStarving = 4;  // with one of the above: its wait passed the starvation bound
}  // namespace slot_flag

struct alignas(64) LockHeader {
  SharedAtomic<uint32_t> magic;
  uint32_t version;
  uint32_t slot_count;
  uint32_t segment_size;
  SharedAtomic<uint64_t> init_word;
  uint64_t incarnation;  // random per initialisation: names the Windows park events
};

struct alignas(64) StateLine {
  SharedAtomic<uint32_t> word;
  SharedAtomic<uint64_t> writer_since_ms;  // wall clock, for inspect()
  // A release woke one waiting writer, which has not looked at the lock yet: until it does (or
  // until the mark's time, monotonic µs), releases wake nobody else. until_us << 11 | slot + 1;
  // 0: none in flight. See RwLockSegment::wake_in_flight.
  SharedAtomic<uint64_t> woken;
  // While kStarving is up, the write lock goes to starving waiters one turn at a time: the process
  // in slot turn_slot - 1 got it by a handoff and may take it again until turn_until_us (monotonic
  // µs) however many starve; then the oldest starving waiter gets the next turn.
  SharedAtomic<uint64_t> turn_until_us;
  SharedAtomic<uint32_t> turn_slot;
};

// One bit per slot: set while that process holds at least one read. Only the owner sets or clears
// its bit (or recovery, once the owner is dead). A writer drains by waiting for all bits to clear.
struct alignas(64) ReaderMask {
  SharedAtomic<uint64_t> words[kMaxSlots / 64];
};

struct alignas(64) Slot {
  SharedAtomic<uint64_t> owner;  // process key; 0 = free
  SharedAtomic<uint32_t> flags;  // slot_flag bits
  SharedAtomic<uint32_t> park;   // Linux: the park event's futex word
  SharedAtomic<uint32_t> read_count;
  SharedAtomic<uint32_t> waiting_reads;  // queued requests, for inspect()
  SharedAtomic<uint32_t> waiting_writes;
  // 1: the owner's event loops listen on its doorbell; wake it by ringing that instead of the park
  // event (set by the owner at claim; 0, as in segments of older versions, means park event only).
  SharedAtomic<uint32_t> bell;
  SharedAtomic<uint64_t> read_since_ms;
  // While flagged: when the request it waits for was made (monotonic µs, the same clock in every
  // process of the machine). A release wakes the oldest.
  SharedAtomic<uint64_t> wait_since_us;
};

struct LockLayout {
  LockHeader header;
  StateLine state;
  ReaderMask readers;
  Slot slots[kMaxSlots];
};

static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free,
              "shared-memory atomics must be lock-free");
static_assert(sizeof(Slot) == 64, "one slot per cache line");
static_assert(offsetof(LockLayout, slots) % 64 == 0, "slots start on a cache line");

constexpr size_t kLockSegmentSize = (sizeof(LockLayout) + 4095) / 4096 * 4096;

}  // namespace interlock
