// How the async layer hands results back without knowing about JavaScript: each request carries a
// sink (the Node-API layer implements it with a ThreadSafeFunction per env).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace interlock {

enum class CompletionStatus : uint32_t { kGranted = 0, kTimedOut = 1 };

struct Completion {
  uint64_t request_id;
  CompletionStatus status;
  uint64_t guard_id;  // 0 unless a lock was granted
  bool abandoned;     // the lock was poisoned when granted
};

class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  // Called from waiter threads; must not block and must tolerate a closing env.
  virtual void deliver(const Completion& completion) = 0;
};

// Request and guard ids: unique in the process, never 0, never reused.
inline uint64_t next_async_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

constexpr uint64_t kNoDeadline = ~uint64_t{0};
// Waits never sleep longer than this, so each waiter re-checks for dead holders and missed wake-ups.
constexpr uint32_t kWaitSliceMs = 100;

// Event waits need no slice (there is nothing to recover): they sleep until their deadline, so a
// Windows waiter is inside its wait, where a set()+reset() pulse still releases it.
constexpr uint32_t kLongestWaitMs = 3600 * 1000;

inline uint32_t event_budget(uint64_t now, uint64_t deadline) {
  if (deadline == kNoDeadline || deadline - now > kLongestWaitMs) return kLongestWaitMs;
  return static_cast<uint32_t>(deadline - now);
}

inline uint32_t sleep_budget(uint64_t now, uint64_t deadline) {
  if (deadline == kNoDeadline || deadline - now > kWaitSliceMs) return kWaitSliceMs;
  return static_cast<uint32_t>(deadline - now);
}

}  // namespace interlock
