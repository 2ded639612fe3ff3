#include "async/process_lock.h"

#include <algorithm>
#include <system_error>

#include "async/lock_registry.h"
#include "core/error.h"

namespace interlock {

ProcessLock::ProcessLock(const LockOpenOptions& options)
    : name_(options.name), scope_(options.scope), segment_(options) {
  exit_watch_ = platform::ExitWatch::create([this] {
    blocker_exited_.store(true);
    segment_.wake_self();
  });
}

ProcessLock::~ProcessLock() {
  guards_.erase_if([this](const GuardRecord& g) {
    release_locked(g);
    return true;
  });
}

Grant ProcessLock::register_guard(LockMode mode, uint64_t owner, uint64_t request_id) {
  Grant g;
  g.guard_id = guards_.insert(GuardRecord{mode, owner, request_id, request_id == 0});
  g.abandoned = segment_.poisoned();
  if (request_id != 0) granted_requests_.emplace(request_id, g.guard_id);
  return g;
}

void ProcessLock::release_locked(const GuardRecord& guard, bool abandoned) {
  if (guard.request_id != 0) granted_requests_.erase(guard.request_id);
  if (guard.mode == LockMode::kRead) {
    segment_.release_read(1);
  } else {
    segment_.release_write(abandoned);
  }
}

bool ProcessLock::recovery_due(uint64_t& next_ms, uint64_t interval_ms) {
  uint64_t now = platform::monotonic_ms();  // vDSO: no system call
  if (now < next_ms) return false;
  next_ms = now + interval_ms;
  return true;
}

Grant ProcessLock::try_acquire(LockMode mode, uint64_t owner) {
  std::lock_guard<LockMutex> lk(mu_);
  if (!queue_.empty()) return {};  // FIFO within the process: no overtaking queued requests
  if (guards_.available() == 0) {
    throw Error(ErrorCode::kTooManyGuards, "this process already holds 2^20 guards of the lock '" + name_ + "'");
  }
  const bool write = mode == LockMode::kWrite;
  auto attempt = [&] { return write ? segment_.try_write() : segment_.try_read(1); };
  bool ok = attempt();
  if (!ok && recovery_due(next_try_recovery_ms_, kTryRecoveryMs) && segment_.recover_blockers(write)) {
    report_recovered();
    ok = attempt();
  }
  return ok ? register_guard(mode, owner) : Grant{};
}

void ProcessLock::serve_ready() {
  // Never wait on a JS thread: if the waiter thread holds the lock it is serving the queue anyway.
  std::unique_lock<LockMutex> lk(mu_, std::try_to_lock);
  if (!lk.owns_lock()) {
    // It may be past its look at the queue and about to park, and a ring does not set the park
    // event: set it, so the waiter thread looks again instead of sleeping through this grant.
    segment_.wake_self();
    return;
  }
  // Bounded: serve_head() reports progress for state changes too, and this must not spin.
  for (int i = 0; i < 8 && !queue_.empty(); ++i) {
    if (!serve_head()) break;
  }
}

uint64_t ProcessLock::enqueue(LockMode mode, uint64_t owner, uint64_t deadline_ms,
                              std::shared_ptr<CompletionSink> sink) {
  std::lock_guard<LockMutex> lk(mu_);
  uint64_t id = next_async_id();
  queue_.push_back(Request{id, mode, owner, deadline_ms, std::move(sink), platform::monotonic_us()});
  if (queue_.size() == 1) advertise();
  queue_changed();
  if (waiter_running_) {
    segment_.wake_self();  // a new deadline or a new head: let the waiter re-evaluate
    return id;
  }
  try {
    start_waiter_thread([self = shared_from_this()] { self->waiter_main(); });
    lock_became_active(shared_from_this());
  } catch (const std::system_error& e) {
    queue_.pop_back();
    queue_changed();
    if (draining_) segment_.abandon_claim();
    draining_ = false;
    segment_.clear_wait();
    throw Error(ErrorCode::kSystem, std::string("cannot start a waiter thread: ") + e.what(), e.code().value(),
                "pthread_create");
  }
  waiter_running_ = true;
  return id;
}

ProcessLock::Cancelled ProcessLock::cancel(uint64_t request_id) {
  std::lock_guard<LockMutex> lk(mu_);
  auto it = std::find_if(queue_.begin(), queue_.end(), [&](const Request& r) { return r.id == request_id; });
  if (it != queue_.end()) {
    queue_.erase(it);
    requests_removed();
    return Cancelled::kDequeued;
  }
  auto granted = granted_requests_.find(request_id);
  if (granted == granted_requests_.end()) return Cancelled::kAlreadyComplete;
  GuardRecord record;
  guards_.erase(granted->second, &record);
  release_locked(record);  // also forgets granted_requests_[request_id]
  return Cancelled::kGrantRevoked;
}

bool ProcessLock::release(uint64_t guard_id) {
  std::lock_guard<LockMutex> lk(mu_);
  GuardRecord guard;
  if (!guards_.erase(guard_id, &guard)) return false;
  release_locked(guard);
  return true;
}

void ProcessLock::downgrade(uint64_t guard_id) {
  std::lock_guard<LockMutex> lk(mu_);
  GuardRecord* guard = guards_.find(guard_id);
  if (guard == nullptr || guard->mode != LockMode::kWrite) {
    throw Error(ErrorCode::kNotHeld, "downgrade() needs a write guard that is still held");
  }
  guard->mode = LockMode::kRead;
  segment_.downgrade();
}

void ProcessLock::mark_consistent(uint64_t guard_id) {
  std::lock_guard<LockMutex> lk(mu_);
  GuardRecord* guard = guards_.find(guard_id);
  if (guard == nullptr || guard->mode != LockMode::kWrite) {
    throw Error(ErrorCode::kNotHeld, "markConsistent() needs a write guard that is still held");
  }
  segment_.mark_consistent();
}

void ProcessLock::attach_owner(uint64_t owner, std::shared_ptr<CompletionSink> observer) {
  std::lock_guard<LockMutex> lk(mu_);
  ++owners_;
  if (observer) observers_[owner] = observer;
  report_recovered();  // what opening it took back
}

void ProcessLock::report_recovered() {
  std::vector<RwLockSegment::DeadHolder> dead = segment_.take_recovered();
  if (dead.empty()) return;
  // Each env once, however many handles it has.
  std::vector<std::shared_ptr<CompletionSink>> sinks;
  for (auto it = observers_.begin(); it != observers_.end();) {
    auto sink = it->second.lock();
    if (!sink) {
      it = observers_.erase(it);
      continue;
    }
    if (std::find(sinks.begin(), sinks.end(), sink) == sinks.end()) sinks.push_back(std::move(sink));
    ++it;
  }
  for (const auto& d : dead) {
    for (const auto& sink : sinks) sink->recovered(name_, Recovery{d.pid, d.abandoned});
  }
}

uint32_t ProcessLock::close_owner(uint64_t owner, bool abandoned) {
  std::lock_guard<LockMutex> lk(mu_);
  observers_.erase(owner);
  if (owners_ > 0 && --owners_ == 0 && waiter_running_) segment_.wake_self();  // no lingering now
  size_t before = queue_.size();
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [&](const Request& r) { return r.owner == owner; }),
               queue_.end());
  uint32_t dropped = static_cast<uint32_t>(before - queue_.size());
  guards_.erase_if([&](const GuardRecord& g) {
    if (g.owner != owner) return false;
    release_locked(g, abandoned && g.taken);  // a grant still on its way was never entered
    return true;
  });
  if (dropped > 0) requests_removed();
  return dropped;
}

void ProcessLock::settled(const Completion& completion, bool claimed) {
  if (completion.guard_id == 0) return;
  if (!claimed) {
    // A grant nobody took: its handle was closed or its request aborted first (both release it
    // already; then this finds nothing), or its env went away.
    release(completion.guard_id);
    return;
  }
  std::lock_guard<LockMutex> lk(mu_);
  if (GuardRecord* guard = guards_.find(completion.guard_id)) {
    guard->taken = true;
    granted_requests_.erase(guard->request_id);  // JavaScript holds it now: no abort revokes it
  }
}

LockSnapshot ProcessLock::inspect() {
  std::lock_guard<LockMutex> lk(mu_);
  return segment_.inspect();
}

void ProcessLock::queue_changed() {
  uint32_t reads = 0, writes = 0;
  for (const Request& r : queue_) (r.mode == LockMode::kRead ? reads : writes)++;
  segment_.set_waiting_counts(reads, writes);
}

void ProcessLock::grant(Request& request) {
  Grant g = register_guard(request.mode, request.owner, request.id);
  if (request.sink->deliver({request.id, CompletionStatus::kGranted, g.guard_id, g.abandoned, shared_from_this()})) {
    return;
  }
  GuardRecord record;  // its env is gone: nobody will ever release it
  if (guards_.erase(g.guard_id, &record)) release_locked(record);
}

void ProcessLock::refuse(Request& request) {
  request.sink->deliver({request.id, CompletionStatus::kTooManyGuards, 0, false, nullptr});
}

void ProcessLock::expire(uint64_t now) {
  bool changed = false;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->deadline <= now) {
      it->sink->deliver({it->id, CompletionStatus::kTimedOut, 0, false, nullptr});
      it = queue_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) queue_changed();
}

// After a cancel or close: take back at once what the shared state still says for requests that are
// gone (a claim, a waiting flag), so others see the lock free without waiting for the waiter thread.
void ProcessLock::requests_removed() {
  queue_changed();
  if (queue_.empty() || queue_.front().mode == LockMode::kRead) {
    if (draining_) segment_.abandon_claim();
    draining_ = false;
  }
  if (queue_.empty()) {
    segment_.clear_wait();
  } else {
    advertise();
  }
  segment_.wake_self();
}

// Makes a new head request visible to other processes before acquire() returns, without waiting
// for the waiter thread to start: a writer claims the writer field (readers that arrive from now on
// back out), or publishes its wait. The waiter thread re-evaluates everything on its first pass.
void ProcessLock::advertise() {
  const Request& head = queue_.front();
  const bool starving = head_starving(platform::monotonic_us());
  segment_.note_awake();  // before the look below
  if (head.mode == LockMode::kWrite) {
    if (!draining_) draining_ = segment_.claim_writer(starving);
    if (!draining_) segment_.publish_wait(true, head.since, starving);
  } else if (!draining_) {
    segment_.publish_wait(false, head.since, starving);
  }
}

bool ProcessLock::head_starving(uint64_t now_us) const {
  return !queue_.empty() && now_us - queue_.front().since >= kStarveUs;
}

// A look that failed: if another process's turn kept us out, look again when it ends (its owner
// may stop taking the lock before then, and then nobody would wake us).
bool ProcessLock::refused() {
  uint64_t turn_end = segment_.defer_to_turn(published_starving_);
  if (turn_end != 0 && turn_end < look_again_us_) {
    look_again_us_ = turn_end;
    if (!in_waiter_pass_) segment_.wake_self();  // it parked for longer: it re-times its park
  }
  return false;
}

// One step for the request at the head of the queue. True: progress (or the state moved), go again;
// false: park until woken or the slice ends.
bool ProcessLock::serve_head() {
  Request& head = queue_.front();
  if (guards_.available() == 0) {  // a typed error for the request, never an abort of the process
    if (draining_) segment_.abandon_claim();
    draining_ = false;
    refuse(head);
    queue_.pop_front();
    requests_removed();
    return true;
  }
  const bool starving = head_starving(platform::monotonic_us());
  published_starving_ = starving;
  segment_.note_awake();  // before the look below
  if (head.mode == LockMode::kWrite) {
    if (!draining_) draining_ = segment_.claim_writer(starving);
    if (!draining_) return !segment_.publish_wait(true, head.since, starving) || refused();
    if (!segment_.activate_if_drained()) return false;  // the last reader to leave wakes us
    draining_ = false;
    segment_.clear_wait();
    // We went past a writers-waiting bit: if it is a dead writer's, take it back now, or try-only
    // readers would find it there after our release.
    if (segment_.writers_waiting() && recovery_due(next_pass_recovery_ms_, kPassRecoveryMs)) {
      if (segment_.recover_blockers(true)) report_recovered();
    }
    grant(head);
    queue_.pop_front();
    queue_changed();
    return true;
  }
  if (draining_) {  // the write at the head went away (timeout or abort) and reads follow
    segment_.abandon_claim();
    draining_ = false;
  }
  uint32_t reads = 0;
  for (const Request& r : queue_) {
    if (r.mode != LockMode::kRead || reads == guards_.available()) break;
    ++reads;
  }
  if (!segment_.try_read(reads, starving)) return !segment_.publish_wait(false, head.since, starving) || refused();
  segment_.clear_wait();
  for (uint32_t i = 0; i < reads; ++i) {  // consecutive readers are granted together
    grant(queue_.front());
    queue_.pop_front();
  }
  queue_changed();
  return true;
}

void ProcessLock::waiter_main() {
  std::unique_lock<LockMutex> lk(mu_);
  uint64_t next_sweep = platform::monotonic_ms() + kWaitSliceMs;
  uint64_t idle_since = 0;  // when the queue last became empty; 0 while it has requests
  for (;;) {
    // Reset before looking: a wake-up that lands after this is never lost (only we reset it).
    segment_.reset_park();
    uint64_t now = platform::monotonic_ms();
    // A blocker that died while we were not parked: its notification's wake-up was just reset.
    if (blocker_exited_.exchange(false)) {
      segment_.recover_dead();
      report_recovered();
      next_sweep = now + kWaitSliceMs;
    }
    expire(now);
    if (queue_.empty()) {
      if (idle_since == 0) {
        // Take back at once what the shared state says for us, then linger for the next request.
        if (draining_) segment_.abandon_claim();
        draining_ = false;
        segment_.clear_wait();
        idle_since = now;
      }
      if (owners_ == 0 || now - idle_since >= kLingerMs) {
        exit_watch_->watch({});
        waiter_running_ = false;
        lock_became_idle(this);
        return;
      }
      lk.unlock();
      segment_.park(static_cast<uint32_t>(kLingerMs - (now - idle_since)));  // enqueue() wakes us
      lk.lock();
      continue;
    }
    if (idle_since != 0) {
      idle_since = 0;
      next_sweep = now + kWaitSliceMs;
    }
    in_waiter_pass_ = true;
    const bool progress = serve_head();
    in_waiter_pass_ = false;
    if (progress) continue;
    // Wake the moment a process we wait for dies, not only at the end of the slice.
    exit_watch_->watch(segment_.blockers(draining_));
    uint64_t earliest = kNoDeadline;
    for (const Request& r : queue_) earliest = std::min(earliest, r.deadline);
    uint32_t budget = sleep_budget(now, earliest);
    // Wake when the head starves, to say so (raise kStarving): until then it may be passed. And
    // when a turn that kept us out ends. Both in whole ms, rounded up.
    // (By what the look published: a head that became starving since is looked at again at once.)
    const uint64_t now_us = platform::monotonic_us();
    const uint64_t starves_at = queue_.front().since + kStarveUs;
    const uint64_t look_at = std::min(published_starving_ ? kNoDeadline : starves_at, look_again_us_);
    look_again_us_ = kNoDeadline;
    if (look_at != kNoDeadline) {
      uint64_t ms = look_at > now_us ? (look_at - now_us + 999) / 1000 : 1;
      budget = std::min<uint32_t>(budget, static_cast<uint32_t>(std::min<uint64_t>(ms, budget)));
    }
    lk.unlock();
    segment_.park(budget);
    lk.lock();
    now = platform::monotonic_ms();
    if (blocker_exited_.exchange(false) || now >= next_sweep) {
      // Take back what dead processes held, and re-wake anyone a dead waker left parked.
      segment_.recover_dead();
      report_recovered();
      next_sweep = now + kWaitSliceMs;
    }
  }
}

}  // namespace interlock
