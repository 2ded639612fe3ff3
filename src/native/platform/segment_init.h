// One-time initialisation of a freshly created named segment, safe against concurrent openers and
// against an initialiser that dies half way: the init word goes 0 -> initialiser's process key ->
// kReady, and an opener that finds a dead initialiser's key takes over and starts again.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "platform/platform.h"

namespace interlock::platform {

constexpr uint64_t kInitReady = ~uint64_t{0};
constexpr uint32_t kInitWaitMs = 2000;

// `initialise` writes every field but the init word and the magic. Returns true when this call
// initialised the segment.
template <class Initialise>
bool initialise_once(std::atomic<uint64_t>& init_word, std::atomic<uint32_t>& magic, uint32_t expected_magic,
                     const std::string& what, Initialise&& initialise) {
  const uint64_t deadline = monotonic_ms() + kInitWaitMs;
  for (;;) {
    uint64_t w = init_word.load(std::memory_order_acquire);
    uint32_t m = magic.load(std::memory_order_acquire);
    if (w == kInitReady) {
      if (m != expected_magic) throw Error(ErrorCode::kIncompatible, what + " exists but is not an interlock object");
      return false;
    }
    if (m != 0 && m != expected_magic) {
      throw Error(ErrorCode::kIncompatible, what + " exists but is not an interlock object");
    }
    if (w == 0 || process_liveness(w) == Liveness::kDead) {
      if (init_word.compare_exchange_strong(w, current_process_key(), std::memory_order_acq_rel)) {
        crash_point("init-claimed");
        magic.store(0, std::memory_order_relaxed);
        initialise();
        crash_point("init-written");
        magic.store(expected_magic, std::memory_order_release);
        init_word.store(kInitReady, std::memory_order_release);
        return true;
      }
      continue;
    }
    if (monotonic_ms() > deadline) {
      throw Error(ErrorCode::kIncompatible, what + " is stuck half-initialised by a live process");
    }
    sleep_ms(1);
  }
}

}  // namespace interlock::platform
