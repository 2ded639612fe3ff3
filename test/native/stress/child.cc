// The children of the stress test: each opens the lock once through the registry (open_process_lock,
// as the addon does) and runs several threads standing for JS threads: queued reads and writes with
// deadlines, aborts (cancel) and downgrades, some trying the fast path first, plus one try-only
// thread (try_acquire in a loop with short sleeps). Most children also poll the process doorbell on
// a "loop thread" and serve the lock from there (serve_active_locks), as an event loop does. The
// final victim takes the write lock and holds it until the parent kills it. What a holder checks
// (mutual exclusion, torn data, abandoned as expected) and what goes wrong is published in the
// shared region.
#include "child.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "async/lock_registry.h"
#include "async/process_lock.h"
#include "core/error.h"
#include "platform/platform.h"
#include "shared.h"

namespace interlock::stress {

namespace {

int my_pos = -1;
const LockLayout* child_seg = nullptr;
thread_local bool on_loop_thread = false;

void violation(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string text = format(fmt, ap);
  va_end(ap);
  uint64_t n = ++g->violations;
  if (n <= 20) say("VIOLATION: %s | %s", text.c_str(), describe(child_seg).c_str());
}

void error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string text = format(fmt, ap);
  va_end(ap);
  ++g->errors;
  g->fatal = 1;
  say("ERROR: %s | %s", text.c_str(), describe(child_seg).c_str());
}

void progress() {
  g->last_progress_us.store(now_us());
}

struct Sink : CompletionSink {
  std::mutex mu;
  std::condition_variable cv;
  std::map<uint64_t, Completion> done;
  // With the lock's mutex held, on its waiter thread or on our loop thread (serve_ready).
  bool deliver(const Completion& c) override {
    if (c.status == CompletionStatus::kGranted) {
      progress();  // the lock is held from here on: not idle while the thread wakes up
      if (on_loop_thread) ++g->bell_grants;
    }
    std::lock_guard<std::mutex> lk(mu);
    done[c.request_id] = c;
    cv.notify_all();
    return true;
  }
  bool wait(uint64_t id, uint64_t us, Completion* out) {
    std::unique_lock<std::mutex> lk(mu);
    if (!cv.wait_for(lk, std::chrono::microseconds(us), [&] { return done.count(id) > 0; })) return false;
    *out = done[id];
    done.erase(id);
    return true;
  }
};

struct Worker {
  int index;
  ThreadRec* rec;
  ProcessLock* lock;
  uint64_t owner;
  std::mt19937_64 rng;
  std::shared_ptr<Sink> sink = std::make_shared<Sink>();

  uint64_t below(uint64_t n) { return n == 0 ? 0 : rng() % n; }
  void pause(uint64_t max_us) { sleep_us(below(max_us)); }

  // Holds the lock from here until leave(): the checks made while holding.
  void enter(bool write, const Grant& grant) {
    uint64_t now = now_us();
    ++g->grants;
    g->last_progress_us.store(now);
    uint64_t zero = 0;
    g->first_grant_us.compare_exchange_strong(zero, now);
    // Stable while we hold: the parent sets it only while a stopped writer holds the lock, and only
    // a writer (us, below) clears it.
    bool expected = g->poison_expected.load() != 0;
    if (grant.abandoned) ++g->abandoned_seen;
    if (grant.abandoned != expected) {
      violation("%s grant %llu reports abandoned=%d, expected %d", write ? "write" : "read",
                static_cast<unsigned long long>(grant.guard_id), grant.abandoned, expected);
    }
    rec->inside.store(write ? kInWrite : kInRead);
    for (int c = 0; c <= kMaxChildren; ++c) {
      ChildRec& other = g->child[c];
      for (int t = 0; t < kMaxThreads; ++t) {
        ThreadRec& o = other.t[t];
        if (&o == rec) continue;
        uint32_t v = o.inside.load();
        if (v == kInWrite || (write && v == kInRead)) {
          violation("%s overlaps a %s of child %d (pid %d) thread %d", write ? "writer" : "reader",
                    v == kInWrite ? "writer" : "reader", c, other.pid.load(), t);
        }
      }
    }
    uint64_t a = g->data_a.load(std::memory_order_relaxed), b = g->data_b.load(std::memory_order_relaxed);
    if (a != b) {
      ++g->torn_seen;
      if (!grant.abandoned) violation("data torn (%llu != %llu) but the grant was not abandoned",
                                      static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
    }
    if (write) g->data_a.store(std::max(a, b) + 1, std::memory_order_relaxed);  // torn until finish_write()
  }

  // The second half of a writer's update, at the end of its critical section: a writer killed
  // before it leaves the data torn.
  void finish_write(const Grant& grant) {
    g->data_b.store(g->data_a.load(std::memory_order_relaxed), std::memory_order_relaxed);
    if (grant.abandoned && below(2) == 0) {  // repaired: say so (or leave it to a later writer)
      lock->mark_consistent(grant.guard_id);
      g->poison_expected.store(0);
      ++g->marked_consistent;
    }
  }

  void leave_and_release(uint64_t guard) {
    rec->inside.store(kOut);
    progress();
    if (!lock->release(guard)) error("release(%llu) of a held guard returned false", static_cast<unsigned long long>(guard));
  }

  void hold(bool write, const Grant& grant) {
    enter(write, grant);
    uint64_t r = below(100);
    pause(r < 90 ? 1500 : r < 98 ? 8000 : 25000);  // a few long holds: parked waiters, draining writers
    if (write) finish_write(grant);
    if (write && below(4) == 0) {
      rec->inside.store(kInRead);  // before: a record never claims more than is held
      lock->downgrade(grant.guard_id);
      ++g->downgrades;
      pause(500);
    }
    leave_and_release(grant.guard_id);
  }

  // A request the waiter thread (or the loop thread) serves. False: stop (lost).
  bool queued(bool write, Grant* out) {
    LockMode mode = write ? LockMode::kWrite : LockMode::kRead;
    uint64_t kind = below(10);  // 0-1: deadline soon, 2: abort soon, else no deadline
    uint64_t deadline = kind < 2 ? platform::monotonic_ms() + below(20) : kNoDeadline;
    rec->waiting.store(1);
    uint64_t id = lock->enqueue(mode, owner, deadline, sink);
    bool cancel_missed = false;
    if (kind == 2) {
      pause(3000);
      switch (lock->cancel(id)) {
        case ProcessLock::Cancelled::kDequeued:
          rec->waiting.store(0);
          ++g->aborts;
          progress();
          return true;
        case ProcessLock::Cancelled::kGrantRevoked: {
          // Released already; its completion was delivered and nobody takes it now.
          rec->waiting.store(0);
          ++g->aborts;
          ++g->revoked;
          progress();
          Completion c;
          if (!sink->wait(id, 0, &c) || c.status != CompletionStatus::kGranted) {
            error("request %llu: grant revoked, but no granted completion was delivered",
                  static_cast<unsigned long long>(id));
          } else if (c.source) {
            c.source->settled(c, false);
          }
          return true;
        }
        case ProcessLock::Cancelled::kAlreadyComplete:
          cancel_missed = true;  // it timed out: the completion is on its way
          break;
      }
    }
    Completion c;
    const uint64_t since = now_us();
    bool completed = false;
    while (!(completed = sink->wait(id, 50000, &c)) && now_us() - since < bound_us(5000)) {
      if (!g->fatal.load()) continue;
      // The run is over (a failure elsewhere): give the request back instead of waiting it out.
      rec->waiting.store(0);
      if (lock->cancel(id) == ProcessLock::Cancelled::kGrantRevoked && sink->wait(id, 0, &c) && c.source) {
        c.source->settled(c, false);
      }
      return false;
    }
    rec->waiting.store(0);
    if (!completed) {
      LockSnapshot snap = lock->inspect();
      ++g->lost;
      error("request %llu (%s, %s) not completed after %llu ms; inspect: writer %s pid %u, %zu reader slot(s), "
            "waiting %u/%u, poisoned %d, attached %u",
            static_cast<unsigned long long>(id), write ? "write" : "read",
            deadline == kNoDeadline ? "no deadline" : "deadline", static_cast<unsigned long long>((now_us() - since) / 1000),
            snap.has_writer ? (snap.writer_active ? "active" : "draining") : "none", snap.writer.pid, snap.readers.size(),
            snap.waiting_reads, snap.waiting_writes, snap.poisoned, snap.attached);
      return false;
    }
    if (c.status == CompletionStatus::kTimedOut) {
      ++g->timeouts;
      progress();
      return true;
    }
    if (c.status != CompletionStatus::kGranted || c.guard_id == 0) {
      error("request %llu completed with status %u", static_cast<unsigned long long>(id), static_cast<unsigned>(c.status));
      return false;
    }
    if (cancel_missed) {  // "already complete" means it timed out: a grant would be a lost abort
      error("request %llu: cancel() said already complete, then it was granted", static_cast<unsigned long long>(id));
    }
    if (c.source) c.source->settled(c, true);
    out->guard_id = c.guard_id;
    out->abandoned = c.abandoned;
    return true;
  }

  void queueing_loop() {
    while (g->phase.load() == kRun && !g->fatal.load()) {
      bool write = static_cast<int>(below(100)) < cfg.write_percent;
      Grant grant;
      if (below(3) == 0) {  // what read()/write() try first on the calling thread
        grant = lock->try_acquire(write ? LockMode::kWrite : LockMode::kRead, owner);
        if (grant.guard_id != 0) ++g->try_grants;
      }
      if (grant.guard_id == 0) {
        if (!queued(write, &grant)) return;
        if (grant.guard_id == 0) continue;  // timed out or aborted
      }
      hold(write, grant);
      if (below(3) == 0) pause(2000);
    }
  }

  void try_only_loop() {
    rec->last_success_us.store(now_us());
    while (g->phase.load() != kStop && !g->fatal.load()) {
      bool write = static_cast<int>(below(100)) < cfg.write_percent;
      Grant grant = lock->try_acquire(write ? LockMode::kWrite : LockMode::kRead, owner);
      if (grant.guard_id != 0) {
        ++g->try_grants;
        enter(write, grant);
        pause(500);
        if (write) finish_write(grant);
        leave_and_release(grant.guard_id);
        uint64_t now = now_us(), waited = now - rec->last_success_us.load();
        if (waited > rec->longest_try_wait_us.load()) rec->longest_try_wait_us.store(waited);
        rec->last_success_us.store(now);
      }
      sleep_us(200 + below(1800));
    }
  }

  // The final victim: take the write lock and keep it until killed.
  void victim() {
    Grant grant;
    while (grant.guard_id == 0 && !g->fatal.load()) {
      if (!queued(true, &grant)) return;
    }
    if (grant.guard_id == 0) return;
    enter(true, grant);
    g->child[my_pos].holding.store(1);
    while (g->phase.load() != kStop && !g->fatal.load()) sleep_us(1000);
    leave_and_release(grant.guard_id);
  }
};

// Poll the doorbell and serve from here, as the Node event loop does (bell_watch_uv.cc, on_bell).
void loop_thread(int fd, const std::atomic<bool>& stop) {
  on_loop_thread = true;
  while (!stop.load()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0 || !(p.revents & POLLIN)) continue;
    int rings = platform::drain_process_bell(fd);
    if (rings == 0) continue;
    g->bell_rings += static_cast<uint64_t>(rings);
    ++g->bell_serves;
    serve_active_locks();
  }
}

}  // namespace

[[noreturn]] void child_main(int pos, uint64_t seed) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a parent killed by a test timeout
  if (getppid() != cfg.parent) _exit(9);
  my_pos = pos;
  ChildRec& me = g->child[pos];
  who = "child " + std::to_string(pos) + " pid " + std::to_string(getpid());
  if (me.stall_point.load() >= 0) {  // read once, at the first crash_point() (never reached in the parent)
    std::string plan = std::string(kStallPoints[me.stall_point.load()].name) + ":" + std::to_string(me.stall_hit.load());
    setenv("INTERLOCK_STALL_AT", plan.c_str(), 1);
  }
  const bool bell = me.bell.load() != 0;
  int bell_fd = -1;
  if (bell) {
    bell_fd = platform::process_bell_fd();
    if (bell_fd < 0) {
      error("process_bell_fd() failed");
      _exit(3);
    }
    platform::bell_listeners_changed(+1);  // before the open: the slot advertises bell = 1
  }
  LockOpenOptions options;
  options.name = cfg.name;
  options.max_processes = static_cast<uint32_t>(cfg.children + 1);
  std::shared_ptr<ProcessLock> lock;
  try {
    lock = open_process_lock(options);
  } catch (const Error& e) {
    child_seg = map_segment();
    error("open failed: %s: %s", error_code_name(e.code()), e.what());
    _exit(3);
  }
  child_seg = map_segment();
  const uint64_t key = platform::current_process_key();
  for (uint32_t i = 0; child_seg != nullptr && i < child_seg->header.slot_count; ++i) {
    if (child_seg->slots[i].owner.load() == key) me.slot.store(static_cast<int32_t>(i));
  }
  if (child_seg == nullptr || me.slot.load() < 0 || (bell && child_seg->slots[me.slot.load()].bell.load() != 1)) {
    error("cannot find this process's slot%s", bell ? " with bell = 1" : "");
    _exit(3);
  }
  me.state.store(kReady);

  std::atomic<bool> loop_stop{false};
  std::thread loop;
  if (bell) loop = std::thread(loop_thread, bell_fd, std::cref(loop_stop));
  const int threads = me.role.load() == kVictim ? 1 : static_cast<int>(me.threads.load());
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Worker w{t, &me.t[t], lock.get(), static_cast<uint64_t>(t + 1), std::mt19937_64(seed * 64 + t)};
      lock->attach_owner();
      try {
        if (me.role.load() == kVictim) {
          w.victim();
        } else if (me.t[t].try_only.load()) {
          w.try_only_loop();
        } else {
          w.queueing_loop();
          me.t[t].done.store(1);
          while (g->phase.load() != kStop && !g->fatal.load()) sleep_us(2000);
        }
      } catch (const std::exception& e) {
        error("thread %d: %s", t, e.what());
      }
      uint32_t dropped = lock->close_owner(w.owner);
      if (dropped != 0) error("thread %d: close_owner dropped %u requests", t, dropped);
    });
  }
  for (auto& w : workers) w.join();
  loop_stop = true;
  if (loop.joinable()) loop.join();
  // Close: the last reference may be a lingering waiter thread's; wait until the slot is given back.
  std::weak_ptr<ProcessLock> weak = lock;
  lock.reset();
  uint64_t until = now_us() + bound_us(3000);
  const Slot& mine = child_seg->slots[me.slot.load()];
  while ((!weak.expired() || mine.owner.load() == key) && now_us() < until) sleep_us(1000);
  if (!weak.expired() || mine.owner.load() == key) error("the lock was not closed (slot not given back)");
  if (bell) platform::bell_listeners_changed(-1);
  me.state.store(kDone);
  _exit(0);
}

}  // namespace interlock::stress
