// The baton-passing scheduler: exactly one actor thread runs at a time; at each scheduling point
// the running actor asks the explorer for the next move and hands the baton over.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "model.h"
#include "model_atomic.h"

namespace interlock::model {

bool g_tracing = false;

void trace_value(const char* what, unsigned long long value) {
  World& w = world();
  if (!w.trace || w.trace_lines.empty() || tl_actor_public() < 0) return;
  char buf[64];
  std::snprintf(buf, sizeof buf, " %s 0x%llx", what, value);
  w.trace_lines.back() += buf;
}

namespace {
thread_local int tl_actor = -1;
thread_local bool tl_no_yield = false;  // inside the scheduler (an exit notification sets an event)
int setup_actor = -1;
constexpr uint64_t kSliceMs = 100;  // kWaitSliceMs

void signal_done(World& w) {
  w.done = true;
  w.done_cv.notify_all();
}

// Waits for the baton (or for teardown) with w.mu held by lk.
void wait_turn(World& w, std::unique_lock<std::mutex>& lk, Actor& me) {
  me.cv.wait(lk, [&] { return me.unwind || (w.current == me.id && !w.done); });
  if (me.unwind) {
    me.unwound = true;
    throw Unwind{};
  }
}

void kill(World& w, Actor& victim) {
  if (w.trace) note("P" + std::to_string(victim.id) + " CRASHES");
  victim.state = ActorState::kDead;
  if (victim.inside_write) w.expect_poison = true;
  victim.inside_read = victim.inside_write = 0;  // a dead process touches no data
  victim.blocked_on = nullptr;
  drop_holds(victim.id);
  ++w.crashes;
  tl_no_yield = true;
  for (auto& a : w.actors) {
    if (a->state == ActorState::kDead || !a->on_exit) continue;
    if (std::find(a->watching.begin(), a->watching.end(), victim.key) != a->watching.end()) {
      if (w.trace) note("exit notification: P" + std::to_string(a->id) + " watched P" + std::to_string(victim.id));
      a->on_exit();
    }
  }
  tl_no_yield = false;
}

// The heart: called by the baton holder `me` (-1: the main thread starting a run) with w.mu held.
// Returns with the baton handed over (to me again, possibly), or the run marked done.
// `yielding`: the running actor spins (parks that return at once); like an OS scheduler, give the
// others a turn first without charging a preemption.
void schedule(World& w, int me, bool yielding = false) {
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
    bool me_runnable = me >= 0 && w.actors[me]->state == ActorState::kRunnable;
    if (me_runnable && !yielding) alts.push_back({Alt::kRun, me, 0, 0});
    for (auto& a : w.actors) {
      if (a->id != me && a->state == ActorState::kRunnable)
        alts.push_back({Alt::kRun, a->id, me_runnable && !yielding ? 1 : 0, 0});
    }
    if (me_runnable && yielding && alts.empty()) alts.push_back({Alt::kRun, me, 0, 0});
    if (alts.empty()) {
      bool any_blocked = false;
      for (auto& a : w.actors) any_blocked |= a->state == ActorState::kBlocked;
      if (!any_blocked) {  // everyone finished (or died)
        signal_done(w);
        return;
      }
      // Every live actor is parked and no set is pending: only a slice timeout moves anyone now.
      if (w.crashes > 0 && w.slices < w.limits.max_slices) {
        ++w.slices;
        w.clock_ms += kSliceMs;
        if (w.trace) note("-- slice timeout: every parked actor wakes (clock " + std::to_string(w.clock_ms) + ")");
        for (auto& a : w.actors) {
          if (a->state != ActorState::kBlocked) continue;
          a->state = ActorState::kRunnable;
          a->wake = Wake::kSlice;
          a->blocked_on = nullptr;
        }
        continue;
      }
      w.failure = w.crashes == 0 ? "lost wake-up: every live actor is parked with no wake-up pending, so only a slice "
                                   "timeout would move anyone\n" +
                                       describe_world()
                                 : "survivors stuck after crash recovery (" + std::to_string(w.slices) +
                                       " slice timeouts used)\n" + describe_world();
      signal_done(w);
      return;
    }
    for (auto& a : w.actors) {
      // Parked, or woken but not yet back (a deadline or an abort can land in that window too).
      if (a->in_park && a->can_give_up && a->state != ActorState::kDead && a->id != me)
        alts.push_back({Alt::kGiveUp, a->id, me_runnable ? 1 : 0, 0});
    }
    if (w.crashes < w.limits.max_crashes) {
      for (auto& a : w.actors) {
        if (a->crashable && (a->state == ActorState::kRunnable || a->state == ActorState::kBlocked))
          alts.push_back({Alt::kCrash, a->id, 0, 1});
      }
    }
    size_t k = w.explorer->choose(alts);
    Alt alt = alts[k];
    if (alt.kind == Alt::kCrash) {
      kill(w, *w.actors[alt.actor]);
      continue;
    }
    Actor& next = *w.actors[alt.actor];
    if (alt.kind == Alt::kGiveUp) {
      if (w.trace) note("P" + std::to_string(next.id) + " gives up waiting (deadline or abort)");
      next.state = ActorState::kRunnable;
      next.wake = Wake::kGiveUp;
      next.can_give_up = false;
      next.blocked_on = nullptr;
    }
    if (w.trace && alt.actor != me && alts.size() > 1 && alt.kind == Alt::kRun && me_runnable) {
      note("-- preempt P" + std::to_string(me) + " -> P" + std::to_string(alt.actor));
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

}  // namespace

World& world() {
  static World w;
  return w;
}

int tl_actor_public() {
  return tl_actor;
}

int current_actor() {
  return tl_actor >= 0 ? tl_actor : setup_actor;
}
void set_setup_actor(int a) {
  setup_actor = a;
}

void yield_point(const char* op, const void* address, std::memory_order order) {
  World& w = world();
  if (tl_actor < 0 || !w.active) return;
  Actor& me = *w.actors[tl_actor];
  if (me.unwound) return;
  if (order == std::memory_order_relaxed) return;  // bookkeeping for inspect(): not a scheduling point
  if (inert_address(address)) return;
  std::unique_lock<std::mutex> lk(w.mu);
  std::string line;
  if (w.trace) {
    line = "P" + std::to_string(me.id) + " " + op + " " + describe_address(address);
    note(line);
  }
  schedule(w, me.id);
  after_schedule(w, lk, me);
  // Others ran in between: the operation happens now, on a line of its own.
  if (w.trace && w.trace_lines.back() != line) note(line + " (resumes)");
}

void check_point(const char* what) {
  World& w = world();
  if (tl_actor < 0 || !w.active || tl_no_yield) return;
  Actor& me = *w.actors[tl_actor];
  if (me.unwound) return;
  std::unique_lock<std::mutex> lk(w.mu);
  if (w.trace) note("P" + std::to_string(me.id) + " " + what);
  schedule(w, me.id);
  after_schedule(w, lk, me);
}

void park(ModelEvent& ev) {
  World& w = world();
  if (tl_actor < 0 || !w.active) return;
  check_point("park?");
  Actor& me = *w.actors[tl_actor];
  if (me.unwound) return;
  if (ev.set) {
    me.wake = Wake::kSet;
    if (w.trace) note("P" + std::to_string(me.id) + " event already set: no sleep");
    if (++me.spins >= 3) {  // a waiter that keeps finding its event set is spinning: let others run
      ++w.spin_yields;
      std::unique_lock<std::mutex> lk(w.mu);
      if (w.trace) note("P" + std::to_string(me.id) + " spins (3 parks in a row returned at once): yields");
      me.spins = 0;
      schedule(w, me.id, true);
      after_schedule(w, lk, me);
    }
    return;
  }
  me.spins = 0;
  std::unique_lock<std::mutex> lk(w.mu);
  if (w.trace) note("P" + std::to_string(me.id) + " PARKS");
  me.state = ActorState::kBlocked;
  me.blocked_on = &ev;
  me.wake = Wake::kNone;
  me.in_park = true;
  schedule(w, me.id);
  after_schedule(w, lk, me);
  me.in_park = false;
  if (w.trace) {
    const char* why = me.wake == Wake::kSet ? "woken by a set" : me.wake == Wake::kGiveUp ? "gave up" : "slice timeout";
    note("P" + std::to_string(me.id) + " unparks (" + why + ")");
  }
}

void set_event(ModelEvent& ev) {
  World& w = world();
  ev.set = true;
  for (auto& a : w.actors) {
    if (a->state == ActorState::kBlocked && a->blocked_on == &ev) {
      a->state = ActorState::kRunnable;
      a->wake = Wake::kSet;
      a->blocked_on = nullptr;
    }
  }
}

bool key_alive(uint64_t key) {
  for (auto& a : world().actors) {
    if (a->key == key) return a->state != ActorState::kDead;
  }
  return false;
}

void watch(std::vector<uint64_t> keys, std::function<void()> on_exit) {
  World& w = world();
  int me = current_actor();
  if (me < 0) return;
  Actor& a = *w.actors[me];
  a.watching = std::move(keys);
  a.on_exit = std::move(on_exit);
  // As the real ExitWatch: a process already gone triggers at once, but only once per key while it
  // stays watched (otherwise a waiter whose dead blocker someone else is still recovering spins).
  std::vector<uint64_t> still;
  for (uint64_t k : a.reported_dead) {
    if (std::find(a.watching.begin(), a.watching.end(), k) != a.watching.end()) still.push_back(k);
  }
  a.reported_dead.swap(still);
  for (uint64_t k : a.watching) {
    if (!key_alive(k) && a.on_exit &&
        std::find(a.reported_dead.begin(), a.reported_dead.end(), k) == a.reported_dead.end()) {
      a.reported_dead.push_back(k);
      note("P" + std::to_string(me) + " watches a process already gone: exit notification at once");
      tl_no_yield = true;
      a.on_exit();
      tl_no_yield = false;
      break;
    }
  }
}

void note(const std::string& line) {
  World& w = world();
  if (w.trace) w.trace_lines.push_back(line);
}

void fail(const std::string& why) {
  World& w = world();
  int me = tl_actor;
  std::unique_lock<std::mutex> lk(w.mu);
  if (w.failure.empty()) w.failure = why;
  if (w.trace) note("VIOLATION: " + why);
  signal_done(w);
  if (me >= 0) {
    Actor& a = *w.actors[me];
    a.cv.wait(lk, [&] { return a.unwind; });
    a.unwound = true;
    throw Unwind{};
  }
}

void run_execution(const std::vector<std::function<void()>>& bodies) {
  World& w = world();
  w.active = true;
  w.done = false;
  for (size_t i = 0; i < bodies.size(); ++i) {
    Actor& a = *w.actors[i];
    a.thread = std::thread([&w, &a, body = bodies[i]] {
      tl_actor = a.id;
      try {
        {
          std::unique_lock<std::mutex> lk(w.mu);
          wait_turn(w, lk, a);
        }
        body();
        std::unique_lock<std::mutex> lk(w.mu);
        a.state = ActorState::kFinished;
        if (w.trace) note("P" + std::to_string(a.id) + " finished");
        schedule(w, a.id);
      } catch (const Unwind&) {
      } catch (const std::exception& e) {
        std::unique_lock<std::mutex> lk(w.mu);
        if (w.failure.empty()) w.failure = std::string("actor threw: ") + e.what();
        signal_done(w);
      }
      tl_actor = -1;
    });
  }
  {
    std::unique_lock<std::mutex> lk(w.mu);
    schedule(w, -1);
    w.done_cv.wait(lk, [&] { return w.done; });
  }
  for (auto& a : w.actors) {
    {
      std::lock_guard<std::mutex> lk(w.mu);
      if (a->state != ActorState::kFinished) {
        a->unwind = true;
        a->cv.notify_all();
      }
    }
    a->thread.join();
  }
  w.active = false;
}

}  // namespace interlock::model
