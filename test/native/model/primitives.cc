// The model's primitives over the scheduler's points (scheduler.cc): what the fake platform and
// model_sync.h are built on. The park event (a manual-reset event whose wait blocks the actor, with
// a model timer), the lock's mutex (lock and try_lock are scheduling points; only the process's own
// threads are offered there), waiter threads (new actors of the current process; starting one may
// fail by injection), a crash (every thread of the process stops, its slot holds go, the exit
// watches of the others fire), exit watches, the doorbell and process liveness.
#include <algorithm>
#include <stdexcept>
#include <system_error>

#include "model.h"
#include "scheduler_internal.h"

namespace interlock::model {

using namespace detail;

namespace detail {

// A process crashes: every thread of it stops where it is, the kernel drops its slot holds, and
// the exit watches of the others fire.
void kill(World& w, Process& victim) {
  if (w.trace) note("P" + std::to_string(victim.id) + " CRASHES (every thread of it stops)");
  victim.alive = false;
  if (victim.inside_write) w.expect_poison = true;
  victim.inside_read = victim.inside_write = 0;  // a dead process touches no data
  for (auto& a : w.actors) {
    if (a->proc != victim.id || a->state == ActorState::kFinished) continue;
    a->state = ActorState::kDead;
    a->blocked_on = nullptr;
    a->timer_at = kNoTimer;
    a->in_wait = false;
  }
  drop_holds(victim.id);
  ++w.crashes;
  bool was = tl_no_yield;
  tl_no_yield = true;
  std::vector<Watch*> watches = w.watches;
  for (Watch* wt : watches) {
    if (!w.procs[wt->proc]->alive) continue;
    auto it = std::find(wt->keys.begin(), wt->keys.end(), victim.key);
    if (it == wt->keys.end()) continue;
    wt->keys.erase(it);  // as the real one: reported once, then forgotten
    wt->reported.push_back(victim.key);
    if (w.trace) {
      note("exit notification: a lock of P" + std::to_string(wt->proc) + " watched P" + std::to_string(victim.id));
    }
    if (wt->on_exit) wt->on_exit();
  }
  tl_no_yield = was;
}

}  // namespace detail

void park(ModelEvent& ev, uint32_t timeout_ms) {
  Actor* me = tl_me;
  if (me == nullptr || tl_no_yield) return;
  if (inert(*me)) return;
  check_point("park?");
  if (inert(*me)) return;
  World& w = world();
  WorldLock lk;
  if (!w.active) return;
  if (ev.set) {
    if (w.trace) note(me->name + " event already set: no sleep");
    if (++me->spins >= 3) {  // a waiter that keeps finding its event set is spinning: let others run
      ++w.spin_yields;
      if (w.trace) note(me->name + " spins (3 parks in a row returned at once): yields");
      me->spins = 0;
      schedule(w, me->id, true);
      after_schedule(w, lk.lk(), *me);
    }
    return;
  }
  me->spins = 0;
  if (timeout_ms == 0) return;
  wait_locked(w, lk, *me, &ev, timeout_ms, timeout_ms >= kSliceMs, false,
              timeout_ms >= kSliceMs ? "its park event (slice)" : "its park event (or its timer)");
}

void set_event(ModelEvent& ev) {
  WorldLock lk;
  ev.set = true;
  notify(&ev);
}

void reset_event(ModelEvent& ev) {
  WorldLock lk;
  ev.set = false;
}

void mutex_lock(int* owner, const void* mutex) {
  Actor* me = tl_me;
  if (me == nullptr) {  // setup: one thread, no scheduler
    *owner = -2;
    return;
  }
  if (tl_no_yield || inert(*me)) {
    *owner = me->id;
    return;
  }
  check_point_impl("locks the lock's mutex", true);
  World& w = world();
  WorldLock lk;
  for (;;) {
    if (me->unwound || *owner < 0) {
      *owner = me->id;
      return;
    }
    if (*owner == me->id) {
      fail_soft(me->name + " locks a mutex it already holds (a self-deadlock)");
      return;
    }
    wait_locked(w, lk, *me, mutex, kNoTimer, false, false, "the lock's mutex");
  }
}

bool mutex_try_lock(int* owner, const void* mutex) {
  (void)mutex;
  Actor* me = tl_me;
  if (me == nullptr) {
    if (*owner != -1) return false;
    *owner = -2;
    return true;
  }
  if (!tl_no_yield && !inert(*me)) check_point_impl("tries the lock's mutex", true);
  WorldLock lk;
  if (*owner >= 0 && !me->unwound) return false;
  *owner = me->id;
  return true;
}

void mutex_unlock(int* owner, const void* mutex) {
  Actor* me = tl_me;
  if (me == nullptr) {
    *owner = -1;
    return;
  }
  WorldLock lk;
  if (*owner != me->id && !me->unwound) fail_soft(me->name + " unlocks a mutex it does not hold");
  *owner = -1;
  notify(mutex);
}

void spawn_actor(std::function<void()> body) {
  Actor* me = tl_me;
  if (me == nullptr) throw std::logic_error("a waiter thread started outside an execution");
  World& w = world();
  WorldLock lk;
  Process& p = *w.procs[me->proc];
  if (p.spawn_failures > 0) {
    --p.spawn_failures;
    if (w.trace) note(me->name + " cannot start a waiter thread (injected failure)");
    throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again), "pthread_create");
  }
  auto a = std::make_unique<Actor>();
  a->id = static_cast<int>(w.actors.size());
  a->proc = p.id;
  a->name = "P" + std::to_string(p.id) + "w" + std::to_string(++p.threads_started);
  a->body = std::move(body);
  Actor* raw = a.get();
  w.actors.push_back(std::move(a));
  if (w.trace) note(me->name + " starts waiter thread " + raw->name);
  start_thread(w, raw);
}

bool ring_bell(uint64_t key) {
  World& w = world();
  WorldLock lk;
  for (auto& p : w.procs) {
    if (p->key != key) continue;
    if (!p->alive || !p->bell) return false;  // no socket bound to that name: the ring is dropped
    p->bell_pending = true;
    notify(&p->loop);
    if (w.trace) note("P" + std::to_string(p->id) + "'s doorbell rings");
    return true;
  }
  return false;
}

bool bell_pending(int proc) {
  WorldLock lk;
  return world().procs[proc]->bell_pending;
}

bool take_bell(int proc) {
  WorldLock lk;
  Process& p = *world().procs[proc];
  bool was = p.bell_pending;
  p.bell_pending = false;
  return was;
}

bool bell_listening() {
  int p = current_process();
  WorldLock lk;
  return p >= 0 && world().procs[p]->bell;
}

bool key_alive(uint64_t key) {
  WorldLock lk;
  for (auto& p : world().procs) {
    if (p->key == key) return p->alive;
  }
  return false;
}

void watch_register(Watch* wt) {
  WorldLock lk;
  world().watches.push_back(wt);
}

void watch_unregister(Watch* wt) {
  WorldLock lk;
  auto& v = world().watches;
  v.erase(std::remove(v.begin(), v.end(), wt), v.end());
}

// As LinuxExitWatch::watch: replaces the watched set; a process already gone triggers at once,
// but only once per key while it stays watched (otherwise a waiter whose dead blocker someone else
// is still recovering spins).
void watch_set(Watch* wt, const std::vector<uint64_t>& keys) {
  bool gone = false;
  {
    WorldLock lk;
    std::vector<uint64_t> next(keys);
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    std::vector<uint64_t> still;
    for (uint64_t k : wt->reported) {
      if (std::binary_search(next.begin(), next.end(), k)) still.push_back(k);
    }
    wt->reported.swap(still);
    wt->keys.clear();
    for (uint64_t k : next) {
      if (std::find(wt->reported.begin(), wt->reported.end(), k) != wt->reported.end()) continue;
      if (!key_alive(k)) {
        wt->reported.push_back(k);
        gone = true;
        continue;
      }
      wt->keys.push_back(k);
    }
  }
  if (gone && wt->on_exit) {
    note("P" + std::to_string(wt->proc) + " watches a process already gone: exit notification at once");
    bool was = tl_no_yield;
    tl_no_yield = true;
    wt->on_exit();
    tl_no_yield = was;
  }
}

}  // namespace interlock::model
