// What scheduler.cc shares with primitives.cc only: the world lock, the running actor, and the
// scheduler's steps that the primitives' waits and hand-overs are made of.
#pragma once

#include <mutex>
#include <optional>

#include "model.h"

namespace interlock::model::detail {

extern thread_local Actor* tl_me;      // the actor this thread runs (nullptr: the main thread)
extern thread_local bool tl_no_yield;  // inside the scheduler's own callbacks (exit notifications)

// World::mu, re-entrant within one thread (exit notifications call back into the model from
// inside the scheduler). Waits use the outermost lock.
class WorldLock {
 public:
  WorldLock();
  ~WorldLock();
  WorldLock(const WorldLock&) = delete;
  WorldLock& operator=(const WorldLock&) = delete;
  std::unique_lock<std::mutex>& lk();
  bool outermost() const { return lk_.has_value(); }

 private:
  std::optional<std::unique_lock<std::mutex>> lk_;
};

// The heart (see scheduler.cc): called by the baton holder `me` with w.mu held; returns with the
// baton handed over, or the run marked done.
void schedule(World& w, int me, bool yielding = false, bool local = false);
// After schedule(): wait for the baton unless this actor is finished.
void after_schedule(World& w, std::unique_lock<std::mutex>& lk, Actor& me);
// An unwound actor reaches a scheduling point: outside a destructor it leaves at once.
bool inert(Actor& me);
// Blocks `me` (see wait() in model.h) with the world lock held.
Wake wait_locked(World& w, WorldLock& lk, Actor& me, const void* on, uint64_t timeout_ms, bool slice, bool abortable,
                 const char* what);
void start_thread(World& w, Actor* a);  // the std::thread of a new actor; it waits for the baton
// A scheduling point; `local`: the step that follows touches only the process's own memory.
void check_point_impl(const char* what, bool local);
// A process crashes (primitives.cc): its threads stop, its holds go, the exit watches fire.
void kill(World& w, Process& victim);

}  // namespace interlock::model::detail
