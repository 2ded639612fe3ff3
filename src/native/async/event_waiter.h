// Async waits on one NamedEvent handle: a FIFO of waits served by one dedicated waiter thread
// (started on demand, gone when no wait is pending), never the libuv threadpool.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "async/completion.h"
#include "platform/platform.h"

namespace interlock {

class EventWaiter : public std::enable_shared_from_this<EventWaiter>, public CompletionSource {
 public:
  explicit EventWaiter(std::unique_ptr<platform::NativeEvent> event) : event_(std::move(event)) {}

  platform::NativeEvent& event() { return *event_; }
  // Fast path on the calling thread: true if the event satisfies a new wait right now.
  bool try_now();
  uint64_t enqueue(uint64_t deadline_ms, std::shared_ptr<CompletionSink> sink);
  enum class Cancelled {
    kDequeued,        // it was still queued: it will never complete
    kSignalReturned,  // satisfied, completion on its way to JavaScript: its auto-reset signal went
                      // back to the event (the completion still arrives, and is ignored)
    kAlreadyComplete, // timed out, or satisfied by a manual-reset event (which consumes nothing)
  };
  Cancelled cancel(uint64_t request_id);
  // Every wait of this handle: dropped, and signals consumed for them given back. Returns how many
  // were still queued.
  uint32_t cancel_all();
  void settled(const Completion& completion, bool claimed) override;

 private:
  struct Wait {
    uint64_t id;
    uint64_t ticket;
    uint64_t deadline;
    std::shared_ptr<CompletionSink> sink;
  };
  void waiter_main();
  bool satisfy();
  void complete(const Wait& wait, CompletionStatus status);

  std::unique_ptr<platform::NativeEvent> event_;
  std::mutex mu_;
  std::deque<Wait> waits_;
  // Auto-reset waits satisfied (their signal consumed) whose completion JavaScript has not taken.
  std::unordered_set<uint64_t> in_flight_;
  bool waiter_running_ = false;
};

}  // namespace interlock
