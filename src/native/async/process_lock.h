// One lock as seen by one process: shared by every thread and Worker of the process through the
// registry, so they share one slot and one FIFO of pending requests. The fast path runs on the
// calling thread; contended requests are served by one dedicated waiter thread per lock (started on
// demand, gone kLingerMs after the queue empties, or at once when the last handle closes), never by
// the libuv threadpool. The linger keeps a lock under steady contention from paying a thread start
// per handoff.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <unordered_map>

#include "async/completion.h"
#include "async/guard_table.h"
#include "async/sync.h"
#include "core/rw_lock_segment.h"

namespace interlock {

enum class LockMode { kRead, kWrite };

struct Grant {
  uint64_t guard_id = 0;  // 0: not granted
  bool abandoned = false;
};

class ProcessLock : public std::enable_shared_from_this<ProcessLock>, public CompletionSource {
 public:
  explicit ProcessLock(const LockOpenOptions& options);
  ~ProcessLock() override;

  const std::string& name() const { return name_; }
  Scope scope() const { return scope_; }
  uint32_t slot_count() const { return segment_.slot_count(); }

  // Fast path: no thread hop, no syscall. Fails when the lock is taken or requests are queued here.
  // A failure caused by a process that is gone recovers it and tries again (the liveness check
  // is rate-limited: a try that fails against live holders stays free of system calls).
  // Throws kTooManyGuards when this process holds 2^20 guards of the lock.
  Grant try_acquire(LockMode mode, uint64_t owner);
  // From a JS thread woken by the process's doorbell: serves the queue as the waiter thread would,
  // without waiting (skipped when the waiter thread is at it). Completions go to their envs.
  void serve_ready();
  // Queues a request for the waiter thread; returns its id. deadline_ms is on the monotonic clock.
  uint64_t enqueue(LockMode mode, uint64_t owner, uint64_t deadline_ms, std::shared_ptr<CompletionSink> sink);
  enum class Cancelled {
    kDequeued,         // it was still queued: it will never complete
    kGrantRevoked,     // granted, completion still on its way to JavaScript: the grant is released
                       // here (a Worker whose event loop is blocked could otherwise keep it)
    kAlreadyComplete,  // it timed out: its completion is on its way
  };
  Cancelled cancel(uint64_t request_id);
  // False if the guard is not held (already released, or released by close).
  bool release(uint64_t guard_id);
  void downgrade(uint64_t guard_id);        // throws kNotHeld
  void mark_consistent(uint64_t guard_id);  // throws kNotHeld
  // A handle (owner) starts using this lock; close_owner() ends that. Its env's sink, if given, hears
  // of every dead process whose holds this process takes back from now on (and of those it took
  // back while opening).
  void attach_owner(uint64_t owner = 0, std::shared_ptr<CompletionSink> observer = {});
  // Drops every request and releases every guard of one handle. Returns the requests dropped.
  // abandoned: the handle's env ends (its Worker was terminated or failed, its process exits)
  // with guards it never released; a write guard among them poisons the lock, as a writer that
  // dies inside does.
  uint32_t close_owner(uint64_t owner, bool abandoned = false);
  LockSnapshot inspect();

  void settled(const Completion& completion, bool claimed) override;

 private:
  struct Request {
    uint64_t id;
    LockMode mode;
    uint64_t owner;
    uint64_t deadline;
    std::shared_ptr<CompletionSink> sink;
    uint64_t since;  // monotonic µs when it was made: its age decides when it starves
  };
  struct GuardRecord {
    LockMode mode;
    uint64_t owner;
    uint64_t request_id;  // 0 for fast-path grants
    // JavaScript has the guard (fast-path grants at once, queued ones once their completion is
    // taken): only such a write, left unreleased when its env ends, may have torn the data.
    bool taken;
  };

  Grant register_guard(LockMode mode, uint64_t owner, uint64_t request_id = 0);
  void release_locked(const GuardRecord& guard, bool abandoned = false);
  void grant(Request& request);
  void refuse(Request& request);  // no room for another guard
  bool recovery_due(uint64_t& next_ms, uint64_t interval_ms);
  void expire(uint64_t now);
  void queue_changed();
  void waiter_main();
  void advertise();
  void requests_removed();
  void report_recovered();
  bool serve_head();

  const std::string name_;
  const Scope scope_;
  LockMutex mu_;
  RwLockSegment segment_;
  std::deque<Request> queue_;
  GuardTable<GuardRecord> guards_;
  // Grants made by the waiter thread, by request id, until their guard is released.
  std::unordered_map<uint64_t, uint64_t> granted_requests_;
  static constexpr uint64_t kLingerMs = 50;
  // Eventual fairness: a request that has waited this long raises kStarving, and from then on the
  // lock goes to starving waiters only, a turn each (no process takes it past them). The waiter
  // thread wakes by itself when its head starves, and when a turn that kept it out ends. See
  // RwLockSegment.
  static constexpr uint64_t kStarveUs = 1000;
  bool head_starving(uint64_t now_us) const;
  // serve_head() found the lock refused: false, after noting when another process's turn that
  // refused it ends (look_again_us_), so the waiter thread looks again then.
  bool refused();
  uint64_t look_again_us_ = kNoDeadline;  // guarded by mu_
  bool in_waiter_pass_ = false;           // guarded by mu_: serve_head() runs on the waiter thread
  bool published_starving_ = false;       // guarded by mu_: what serve_head() last said of the head
  // At most one liveness check of the blockers per interval: after failed tries, and after a
  // waiter-thread write grant that went past a waiting bit (which may be a dead writer's).
  static constexpr uint64_t kTryRecoveryMs = 10;
  static constexpr uint64_t kPassRecoveryMs = 1;
  uint64_t next_try_recovery_ms_ = 0;
  uint64_t next_pass_recovery_ms_ = 0;
  uint32_t owners_ = 0;  // open handles
  // The envs told of recoveries, by handle (owner id).
  std::unordered_map<uint64_t, std::weak_ptr<CompletionSink>> observers_;
  bool waiter_running_ = false;
  bool draining_ = false;  // the waiter thread holds the writer field and waits for readers
  std::atomic<bool> blocker_exited_{false};
  // Declared after segment_: destroyed first, so its callback never sees a dead segment.
  std::unique_ptr<platform::ExitWatch> exit_watch_;
};

}  // namespace interlock
