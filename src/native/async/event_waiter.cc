#include "async/event_waiter.h"

#include <algorithm>
#include <system_error>
#include <thread>

#include "core/error.h"

namespace interlock {

bool EventWaiter::try_now() {
  std::lock_guard<std::mutex> lk(mu_);
  // An auto-reset signal goes to the oldest wait: only take it here when nobody is queued.
  if (!waits_.empty() && !event_->manual_reset()) return false;
  return event_->try_take(event_->ticket());
}

uint64_t EventWaiter::enqueue(uint64_t deadline_ms, std::shared_ptr<CompletionSink> sink) {
  std::lock_guard<std::mutex> lk(mu_);
  uint64_t id = next_async_id();
  waits_.push_back(Wait{id, event_->ticket(), deadline_ms, std::move(sink)});
  if (waiter_running_) {
    event_->interrupt();
    return id;
  }
  try {
    std::thread(&EventWaiter::waiter_main, shared_from_this()).detach();
  } catch (const std::system_error& e) {
    waits_.pop_back();
    throw Error(ErrorCode::kSystem, std::string("cannot start a waiter thread: ") + e.what(), e.code().value(),
                "pthread_create");
  }
  waiter_running_ = true;
  return id;
}

EventWaiter::Cancelled EventWaiter::cancel(uint64_t request_id) {
  std::lock_guard<std::mutex> lk(mu_);
  if (in_flight_.erase(request_id) > 0) {
    event_->set();  // the signal it consumed goes to the next waiter
    return Cancelled::kSignalReturned;
  }
  auto it = std::find_if(waits_.begin(), waits_.end(), [&](const Wait& w) { return w.id == request_id; });
  if (it == waits_.end()) return Cancelled::kAlreadyComplete;
  waits_.erase(it);
  event_->interrupt();
  return Cancelled::kDequeued;
}

uint32_t EventWaiter::cancel_all() {
  std::lock_guard<std::mutex> lk(mu_);
  auto n = static_cast<uint32_t>(waits_.size());
  waits_.clear();
  // Closed (or its env ended) before JavaScript took them: nobody will, so the signals go back.
  for (size_t i = 0; i < in_flight_.size(); ++i) event_->set();
  in_flight_.clear();
  event_->interrupt();
  return n;
}

void EventWaiter::settled(const Completion& completion, bool claimed) {
  std::lock_guard<std::mutex> lk(mu_);
  if (in_flight_.erase(completion.request_id) > 0 && !claimed) event_->set();
}

void EventWaiter::complete(const Wait& wait, CompletionStatus status) {
  // Only a granted auto-reset wait carries something (the signal it consumed).
  bool carries = status == CompletionStatus::kGranted && !event_->manual_reset();
  Completion c{wait.id, status, 0, false, carries ? shared_from_this() : nullptr};
  if (carries) in_flight_.insert(wait.id);
  if (!wait.sink->deliver(c) && carries) {
    in_flight_.erase(wait.id);
    event_->set();
  }
}

// Completes what the event satisfies now. True if anything completed.
bool EventWaiter::satisfy() {
  bool any = false;
  if (event_->manual_reset()) {
    for (auto it = waits_.begin(); it != waits_.end();) {
      if (event_->try_take(it->ticket)) {
        complete(*it, CompletionStatus::kGranted);
        it = waits_.erase(it);
        any = true;
      } else {
        ++it;
      }
    }
    return any;
  }
  while (!waits_.empty() && event_->try_take(0)) {  // one waiter per signal, oldest first
    complete(waits_.front(), CompletionStatus::kGranted);
    waits_.pop_front();
    any = true;
  }
  return any;
}

void EventWaiter::waiter_main() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    uint64_t ticket = event_->ticket();
    satisfy();
    uint64_t now = platform::monotonic_ms();
    uint64_t earliest = kNoDeadline;
    for (auto it = waits_.begin(); it != waits_.end();) {
      if (it->deadline <= now) {
        complete(*it, CompletionStatus::kTimedOut);
        it = waits_.erase(it);
      } else {
        earliest = std::min(earliest, it->deadline);
        ++it;
      }
    }
    if (waits_.empty()) {
      event_->release_unclaimed();
      waiter_running_ = false;
      return;
    }
    uint32_t budget = event_budget(now, earliest);
    lk.unlock();
    event_->wait(ticket, budget);
    lk.lock();
  }
}

}  // namespace interlock
