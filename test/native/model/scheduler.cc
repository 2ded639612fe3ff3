// The baton-passing scheduler: exactly one actor thread runs at a time; at each scheduling point
// the running actor asks the explorer for the next move and hands the baton over.
//
// Model time: the clock only moves when a timer fires. A wait with a timeout shorter than the
// 100 ms slice is a legitimate timer (a request's deadline, the waiter's linger, a JS sleep): the
// explorer may fire it at any scheduling point (a preemption), and it fires by itself when nobody
// can run. A park that only its slice would end is the backstop for a missed wake-up: when nobody
// can run and someone waits for a completion, a mutex or a lock being destroyed (a "needy" actor)
// with only slices left, that is a lost wake-up in a run without crashes, and the recovery path
// after a crash (at most Limits::max_slices per run).
//
// The primitives built on these scheduling points (park events, the lock's mutex, waiter threads,
// crashes and exit watches, the doorbell) are in primitives.cc.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>

#include "model.h"
#include "model_atomic.h"
#include "scheduler_internal.h"

namespace interlock::model {

bool g_tracing = false;

namespace detail {

thread_local Actor* tl_me = nullptr;
thread_local bool tl_no_yield = false;

}  // namespace detail

using namespace detail;

namespace {

thread_local int tl_lock_depth = 0;
thread_local std::unique_lock<std::mutex>* tl_lock = nullptr;  // the outermost WorldLock's
thread_local int tl_inert = 0;  // inert_region() depth
int setup_process = -1;

// Unwind may be thrown here: not inside a destructor (an inert region) nor during unwinding.
bool can_throw() {
  return tl_inert == 0 && std::uncaught_exceptions() == 0;
}

void signal_done(World& w) {
  w.done = true;
  w.done_cv.notify_all();
}

// Waits for the baton (or for teardown) with w.mu held by lk.
void wait_turn(World& w, std::unique_lock<std::mutex>& lk, Actor& me) {
  me.cv.wait(lk, [&] { return me.unwind || (w.current == me.id && !w.done); });
  if (me.unwind) {
    me.unwound = true;
    if (can_throw()) throw Unwind{};
  }
}

void make_runnable(Actor& a, Wake why) {
  a.state = ActorState::kRunnable;
  a.wake = why;
  a.blocked_on = nullptr;
  a.timer_at = kNoTimer;
}

bool process_has_live_actor(World& w, int proc) {
  for (auto& a : w.actors) {
    if (a->proc == proc && (a->state == ActorState::kRunnable || a->state == ActorState::kBlocked)) return true;
  }
  return false;
}

// Nobody can run and no timer but slices is pending. True: someone was woken; false: the run is over.
bool idle(World& w) {
  std::vector<Actor*> sliced, needy;
  for (auto& a : w.actors) {
    if (a->state == ActorState::kBlocked) (a->timer_at != kNoTimer ? sliced : needy).push_back(a.get());
  }
  if (sliced.empty() && needy.empty()) {  // everyone finished (or died)
    signal_done(w);
    return false;
  }
  if (sliced.empty()) {
    w.failure = "deadlock: every live actor waits with no timer and nobody left to wake it\n" + describe_world();
    signal_done(w);
    return false;
  }
  if (!needy.empty()) {
    if (w.crashes == 0) {
      w.failure = "lost wake-up: nobody can run, " + needy[0]->name + " waits for " + needy[0]->waits_for +
                  ", and only a 100 ms slice would move anyone\n" + describe_world();
      signal_done(w);
      return false;
    }
    if (w.slices >= w.limits.max_slices) {
      w.failure = "survivors stuck after crash recovery (" + std::to_string(w.slices) +
                  " slice timeouts used): " + needy[0]->name + " waits for " + needy[0]->waits_for + "\n" +
                  describe_world();
      signal_done(w);
      return false;
    }
    ++w.slices;
  }
  uint64_t at = 0;
  for (Actor* a : sliced) at = std::max(at, a->timer_at);
  w.clock_ms = std::max(w.clock_ms, at);
  if (w.trace) note("-- slice timeout: every parked waiter wakes (clock " + std::to_string(w.clock_ms) + ")");
  for (Actor* a : sliced) make_runnable(*a, Wake::kSlice);
  return true;
}

}  // namespace

namespace detail {

WorldLock::WorldLock() {
  if (tl_lock_depth++ == 0) {
    lk_.emplace(world().mu);
    tl_lock = &*lk_;
  }
}

WorldLock::~WorldLock() {
  if (--tl_lock_depth == 0) tl_lock = nullptr;
}

std::unique_lock<std::mutex>& WorldLock::lk() {
  return *tl_lock;
}

// The heart: called by the baton holder `me` (-1: the main thread starting a run) with w.mu held.
// Returns with the baton handed over (to me again, possibly), or the run marked done.
// `yielding`: the running actor spins (parks that return at once); like an OS scheduler, give the
// others a turn first without charging a preemption.
// `local`: the step that follows touches only its own process's memory (its lock's mutex). It
// commutes with every step of every other process, so switching to one of them (or crashing one,
// or firing its timer) here is the same as doing so at the next scheduling point, at the same cost:
// only the process's own threads are alternatives (a sound partial-order reduction).
void schedule(World& w, int me, bool yielding, bool local) {
  for (;;) {
    if (w.done) return;
    if (++w.decisions > w.limits.max_decisions) {
      w.failure = "step bound exceeded (" + std::to_string(w.limits.max_decisions) + " decisions): " +
                  (w.crashes ? "survivors of the crash keep running without finishing (livelock)" : "livelock") + "\n" +
                  describe_world();
      signal_done(w);
      return;
    }
    w.state_hashes.push_back(state_hash());
    std::vector<Alt> alts;
    Actor* cur = me >= 0 ? w.actors[me].get() : nullptr;
    bool me_runnable = cur != nullptr && cur->state == ActorState::kRunnable;
    bool charge = me_runnable && !yielding;  // switching away now is a preemption
    const int cost = charge ? 1 : 0;
    if (charge) alts.push_back({Alt::kRun, me, 0, 0});
    local = local && me_runnable;
    auto offered = [&](const Actor& a) { return !local || a.proc == cur->proc; };
    for (auto& a : w.actors) {
      if (a->id != me && a->state == ActorState::kRunnable && offered(*a)) alts.push_back({Alt::kRun, a->id, cost, 0});
    }
    if (alts.empty() && me_runnable) alts.push_back({Alt::kRun, me, 0, 0});  // yielding, nobody else
    const bool nobody_runnable = alts.empty();
    if (nobody_runnable) {
      // Only time moves anyone now: the earliest timer fires.
      Actor* t = nullptr;
      for (auto& a : w.actors) {
        if (a->state == ActorState::kBlocked && a->timer_at != kNoTimer && !a->slice &&
            (t == nullptr || a->timer_at < t->timer_at))
          t = a.get();
      }
      if (t == nullptr) {
        if (idle(w)) continue;
        return;
      }
      alts.push_back({Alt::kFire, t->id, 0, 0});
    } else {
      // A timer that fires before the runnable actors get further: always a preemption (time
      // passing while runnable threads do not run), or a sleeper could starve them for free.
      for (auto& a : w.actors) {
        if (a->state == ActorState::kBlocked && a->timer_at != kNoTimer && !a->slice && offered(*a))
          alts.push_back({Alt::kFire, a->id, 1, 0});
      }
    }
    for (auto& a : w.actors) {  // an abort lands while waiting, or woken and not yet back
      if (a->in_wait && a->abortable && (a->state == ActorState::kBlocked || a->state == ActorState::kRunnable) &&
          offered(*a))
        alts.push_back({Alt::kAbort, a->id, cost, 0});
    }
    if (w.crashes < w.limits.max_crashes && !local) {
      for (auto& p : w.procs) {
        if (p->crashable && p->alive && process_has_live_actor(w, p->id)) alts.push_back({Alt::kCrash, p->id, 0, 1});
      }
    }
    size_t k = w.explorer->choose(alts);
    Alt alt = alts[k];
    if (alt.kind == Alt::kCrash) {
      kill(w, *w.procs[alt.who]);
      continue;
    }
    Actor& next = *w.actors[alt.who];
    if (alt.kind == Alt::kFire) {
      w.clock_ms = std::max(w.clock_ms, next.timer_at);
      if (w.trace) note("-- " + next.name + "'s timer fires (clock " + std::to_string(w.clock_ms) + ")");
      make_runnable(next, Wake::kTimer);
    } else if (alt.kind == Alt::kAbort) {
      if (w.trace) note("-- an abort signal ends " + next.name + "'s wait");
      next.abortable = false;
      if (next.state == ActorState::kBlocked) make_runnable(next, Wake::kAbort);
      next.wake = Wake::kAbort;
    } else if (w.trace && alt.who != me && charge) {
      note("-- preempt " + cur->name + " -> " + next.name);
    }
    w.current = next.id;
    if (next.id != me) next.cv.notify_all();
    return;
  }
}

// After schedule(): wait for the baton unless this actor is finished.
void after_schedule(World& w, std::unique_lock<std::mutex>& lk, Actor& me) {
  if (me.state == ActorState::kFinished) return;
  wait_turn(w, lk, me);
}

// An unwound actor reaches a scheduling point: outside a destructor it leaves at once.
bool inert(Actor& me) {
  if (!me.unwound) return false;
  if (can_throw()) throw Unwind{};
  return true;
}

Wake wait_locked(World& w, WorldLock& lk, Actor& me, const void* on, uint64_t timeout_ms, bool slice, bool abortable,
                 const char* what) {
  if (w.trace) {
    note(me.name + " waits for " + what +
         (timeout_ms == kNoTimer ? std::string() : " (timeout " + std::to_string(timeout_ms) + " ms)"));
  }
  me.state = ActorState::kBlocked;
  me.blocked_on = on;
  me.waits_for = what;
  me.timer_at = timeout_ms == kNoTimer ? kNoTimer : w.clock_ms + timeout_ms;
  me.slice = slice;
  me.in_wait = true;
  me.abortable = abortable;
  me.wake = Wake::kNone;
  schedule(w, me.id);
  after_schedule(w, lk.lk(), me);
  me.in_wait = false;
  me.abortable = false;
  if (w.trace) {
    static const char* why[] = {"torn down", "notified", "its timer", "slice timeout", "aborted"};
    note(me.name + " wakes (" + why[static_cast<int>(me.wake)] + ")");
  }
  return me.wake;
}

void start_thread(World& w, Actor* a) {
  a->thread = std::thread([&w, a] {
    tl_me = a;
    try {
      {
        WorldLock lk;
        wait_turn(w, lk.lk(), *a);
      }
      std::function<void()> body = std::move(a->body);
      try {
        body();
      } catch (...) {
        ++tl_inert;
        body = nullptr;
        --tl_inert;
        throw;
      }
      // What the body holds (a waiter thread's reference to its lock, maybe the last) goes while
      // this actor still holds the baton: the destructors are part of the execution.
      inert_region([&] { body = nullptr; });
      WorldLock lk;
      a->state = ActorState::kFinished;
      if (w.trace) note(a->name + " finished");
      schedule(w, a->id);
    } catch (const Unwind&) {
    } catch (const std::exception& e) {
      WorldLock lk;
      if (w.failure.empty()) w.failure = a->name + " threw: " + e.what() + "\n" + describe_world();
      signal_done(w);
    }
    ++tl_inert;
    a->body = nullptr;  // never started: what it holds goes with it
    --tl_inert;
    tl_me = nullptr;
  });
}

void check_point_impl(const char* what, bool local) {
  Actor* me = tl_me;
  if (me == nullptr || tl_no_yield) return;
  if (inert(*me)) return;
  World& w = world();
  WorldLock lk;
  if (!w.active) return;
  if (w.trace) note(me->name + " " + what);
  schedule(w, me->id, false, local);
  after_schedule(w, lk.lk(), *me);
}

}  // namespace detail

void trace_value(const char* what, unsigned long long value) {
  World& w = world();
  if (!w.trace || tl_me == nullptr) return;
  WorldLock lk;
  if (w.trace_lines.empty()) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, " %s 0x%llx", what, value);
  w.trace_lines.back() += buf;
}

World& world() {
  static World w;
  return w;
}

Actor* current_actor_ptr() {
  return tl_me;
}

int current_process() {
  return tl_me != nullptr ? tl_me->proc : setup_process;
}

void set_setup_process(int p) {
  setup_process = p;
}

const std::string& actor_name(int actor) {
  return world().actors[actor]->name;
}

uint64_t now_ms() {
  WorldLock lk;
  return world().clock_ms;
}

void yield_point(const char* op, const void* address, std::memory_order order) {
  Actor* me = tl_me;
  if (me == nullptr || tl_no_yield) return;
  if (order == std::memory_order_relaxed) return;  // bookkeeping for inspect(): not a scheduling point
  if (inert(*me)) return;
  World& w = world();
  WorldLock lk;
  if (!w.active || inert_address(address)) return;
  std::string line;
  if (w.trace) {
    line = me->name + " " + op + " " + describe_address(address);
    note(line);
  }
  schedule(w, me->id);
  after_schedule(w, lk.lk(), *me);
  // Others ran in between: the operation happens now, on a line of its own.
  if (w.trace && w.trace_lines.back() != line) note(line + " (resumes)");
}

void check_point(const char* what) {
  check_point_impl(what, false);
}

Wake wait(const void* on, uint64_t timeout_ms, bool slice, bool abortable, const char* what) {
  Actor* me = tl_me;
  if (me == nullptr || tl_no_yield) return Wake::kNone;
  if (inert(*me)) return Wake::kNone;
  World& w = world();
  if (timeout_ms == 0) {
    check_point(what);
    return Wake::kTimer;
  }
  WorldLock lk;
  if (!w.active) return Wake::kNone;
  return wait_locked(w, lk, *me, on, timeout_ms, slice, abortable, what);
}

void notify(const void* on) {
  WorldLock lk;
  for (auto& a : world().actors) {
    if (a->state == ActorState::kBlocked && a->blocked_on == on) make_runnable(*a, Wake::kNotify);
  }
}

void inert_region(const std::function<void()>& fn) {
  ++tl_inert;
  fn();
  --tl_inert;
  if (tl_me != nullptr && tl_me->unwound && can_throw()) throw Unwind{};
}

void note(const std::string& line) {
  World& w = world();
  if (!w.trace) return;
  WorldLock lk;
  w.trace_lines.push_back(line);
}

void fail_soft(const std::string& why) {
  World& w = world();
  WorldLock lk;
  if (w.failure.empty()) w.failure = why;
  if (w.trace) note("VIOLATION: " + why);
  signal_done(w);
}

void fail(const std::string& why) {
  fail_soft(why);
  Actor* me = tl_me;
  if (me == nullptr || tl_no_yield || tl_lock_depth > 0) return;
  WorldLock lk;
  me->cv.wait(lk.lk(), [&] { return me->unwind; });
  me->unwound = true;
  if (can_throw()) throw Unwind{};
}

void run_execution(const std::vector<JsThread>& threads, const std::function<void()>& at_end) {
  World& w = world();
  {
    WorldLock lk;
    w.active = true;
    w.done = false;
    for (const JsThread& t : threads) {
      auto a = std::make_unique<Actor>();
      a->id = static_cast<int>(w.actors.size());
      a->proc = t.proc;
      a->name = t.name;
      a->js = true;
      a->body = t.body;
      Actor* raw = a.get();
      w.actors.push_back(std::move(a));
      start_thread(w, raw);
    }
    schedule(w, -1);
    w.done_cv.wait(lk.lk(), [&] { return w.done; });
  }
  at_end();
  // Teardown, one actor at a time: each unwinds (or finishes its destructors inertly) alone.
  for (size_t i = 0;; ++i) {
    Actor* a;
    {
      WorldLock lk;
      if (i >= w.actors.size()) break;
      a = w.actors[i].get();
      if (a->state != ActorState::kFinished) {
        a->unwind = true;
        a->cv.notify_all();
      }
    }
    a->thread.join();
  }
  WorldLock lk;
  w.active = false;
}

}  // namespace interlock::model
