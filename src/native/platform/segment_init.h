// One-time initialisation of a freshly created named segment, safe against concurrent openers and
// against an initialiser that dies half way: the init word goes 0 -> initialiser's process key ->
// kReady, and an opener that finds a dead initialiser's key takes over and starts again.
//
// "Dead" is decided by the kernel where it can: the initialiser holds the segment's init hold (an
// OFD lock on Linux, dropped when it dies whatever its pid namespace) from before it claims the word
// until it is done. Only where holds are unsupported is the key's process liveness asked.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "platform/platform.h"

namespace interlock::platform {

constexpr uint64_t kInitReady = ~uint64_t{0};
constexpr uint32_t kInitWaitMs = 2000;

inline bool initialiser_dead(const Segment& segment, uint64_t key) {
  switch (segment.hold_state(kInitHoldIndex)) {
    case Segment::Hold::kHeld:
      return false;
    case Segment::Hold::kFree:
      return true;
    case Segment::Hold::kUnsupported:
      break;
  }
  return process_liveness(key) == Liveness::kDead;
}

// `initialise` writes every field but the init word and the magic. Returns true when this call
// initialised the segment.
template <class Initialise>
bool initialise_once(Segment& segment, std::atomic<uint64_t>& init_word, std::atomic<uint32_t>& magic,
                     uint32_t expected_magic, const std::string& what, Initialise&& initialise) {
  const uint64_t deadline = monotonic_ms() + kInitWaitMs;
  for (;;) {
    uint64_t w = init_word.load(std::memory_order_acquire);
    uint32_t m = magic.load(std::memory_order_acquire);
    if (w == kInitReady) {
      if (m != expected_magic) throw Error(ErrorCode::kIncompatible, what + " exists but is not an interlocked object");
      return false;
    }
    if (m != 0 && m != expected_magic) {
      throw Error(ErrorCode::kIncompatible, what + " exists but is not an interlocked object");
    }
    // Hold first, then claim: a claimed word whose hold is free is always a dead initialiser's.
    if ((w == 0 || initialiser_dead(segment, w)) && segment.try_hold(kInitHoldIndex)) {
      // The word may have moved on since we looked (ready, or claimed where holds are unsupported).
      if (init_word.compare_exchange_strong(w, current_process_key(), std::memory_order_acq_rel)) {
        crash_point("init-claimed");
        magic.store(0, std::memory_order_relaxed);
        initialise();
        crash_point("init-written");
        magic.store(expected_magic, std::memory_order_release);
        init_word.store(kInitReady, std::memory_order_release);
        segment.release_hold(kInitHoldIndex);
        return true;
      }
      segment.release_hold(kInitHoldIndex);
      continue;
    }
    if (monotonic_ms() > deadline) {
      throw Error(ErrorCode::kIncompatible, what + " is stuck half-initialised by a live process");
    }
    sleep_ms(1);
  }
}

}  // namespace interlock::platform
