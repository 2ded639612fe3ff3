// Async waits on one NamedEvent handle: a FIFO of waits served by one dedicated waiter thread
// (started on demand, gone when no wait is pending), never the libuv threadpool.
#pragma once

#include <deque>
#include <memory>
#include <mutex>

#include "async/completion.h"
#include "platform/platform.h"

namespace interlock {

class EventWaiter : public std::enable_shared_from_this<EventWaiter> {
 public:
  explicit EventWaiter(std::unique_ptr<platform::NativeEvent> event) : event_(std::move(event)) {}

  platform::NativeEvent& event() { return *event_; }
  // Fast path on the calling thread: true if the event satisfies a new wait right now.
  bool try_now();
  uint64_t enqueue(uint64_t deadline_ms, std::shared_ptr<CompletionSink> sink);
  bool cancel(uint64_t request_id);
  uint32_t cancel_all();

 private:
  struct Wait {
    uint64_t id;
    uint64_t ticket;
    uint64_t deadline;
    std::shared_ptr<CompletionSink> sink;
  };
  void waiter_main();
  bool satisfy();

  std::unique_ptr<platform::NativeEvent> event_;
  std::mutex mu_;
  std::deque<Wait> waits_;
  bool waiter_running_ = false;
};

}  // namespace interlock
