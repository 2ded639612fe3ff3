// How the async layer hands results back without knowing about JavaScript: each request carries a
// sink (the Node-API layer implements it with a ThreadSafeFunction per env).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace interlock {

// kTooManyGuards: the process already holds 2^20 guards of that lock; nothing was granted.
enum class CompletionStatus : uint32_t { kGranted = 0, kTimedOut = 1, kTooManyGuards = 2 };

class CompletionSource;

struct Completion {
  uint64_t request_id = 0;
  CompletionStatus status = CompletionStatus::kGranted;
  uint64_t guard_id = 0;   // 0 unless a lock was granted
  bool abandoned = false;  // the lock was poisoned when granted
  // What made it: told whether JavaScript took it (null: nothing to give back either way).
  std::shared_ptr<CompletionSource> source;
};

// A completion carries something (a lock grant, a consumed auto-reset signal) that must not be lost
// when nobody takes it: its request was closed or aborted, or its env ended, while it was on its way.
class CompletionSource {
 public:
  virtual ~CompletionSource() = default;
  // Any thread, with no lock of the caller's held. claimed: its request's promise settled with it.
  // Otherwise what it carries goes back (the grant is released, the signal set again).
  virtual void settled(const Completion& completion, bool claimed) = 0;
};

// A dead process's holds taken back (what interlocked:recover reports).
struct Recovery {
  uint32_t pid = 0;
  bool abandoned = false;  // it died inside the write lock: the lock is poisoned
};

class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  // Called with the lock's mutex held, from any thread: a process holding or waiting on the lock
  // `lock_name` died and its holds were taken back. Must not block.
  virtual void recovered(const std::string& lock_name, const Recovery& recovery) {
    (void)lock_name;
    (void)recovery;
  }
  // Called from waiter threads with the source's own mutex held: must not block, and must not call
  // back into the source. False: the env is gone and will never take it; the caller gives back at
  // once what it carries.
  virtual bool deliver(const Completion& completion) = 0;
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
