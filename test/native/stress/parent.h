// The parent's machinery (parent.cc), used by its run (main.cc): spawning children, killing them
// (and what they held when killed), the watcher's tick, and the run's failures and statistics. The
// parent is a single thread: none of this is shared with the children.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/lock_layout.h"
#include "shared.h"

namespace interlock::stress {

extern std::mt19937_64 prng;
extern const LockLayout* seg;  // the parent's read-only view of the segment, once it exists
extern std::vector<std::string> failures;

void fail(const char* fmt, ...);  // a failure of the run: printed with the segment, counted

// What a stopped (or dead) child held, from its slot(s) in the segment.
enum KillClass { kInWriteK, kDrainingK, kReadingK, kWaitingK, kOtherK, kClasses };
inline const char* const kClassNames[] = {"in-write", "draining", "reading", "waiting", "other"};

struct Stats {
  int spawns = 0, bell_spawns = 0, kills = 0, slot_reuses = 0, mid_recovery_kills = 0, opening_kills = 0;
  int stall_spawns = 0, stall_kills = 0;
  int stalled_at[kStallPointCount] = {};
  int by_class[kClasses] = {};
  uint64_t max_recovery_us = 0, try_recovery_us = 0;
  int recoveries = 0;
  uint64_t max_idle_gap_us = 0, max_kill_gap_us = 0;
  int long_gaps = 0, long_kill_gaps = 0;
};
extern Stats st;

extern uint64_t last_kill_us;
extern uint64_t recovery_kill_us;  // a writer was killed at this time; waiting for the next grant
extern uint64_t respawn_at[kMaxChildren];  // 0: none pending
extern std::vector<std::string> kill_log;  // the latest kills, printed when a run fails
extern uint64_t spawned_us[kMaxChildren + 1];
extern bool children_may_end;  // from the stop phase on

void spawn(int pos, Role role);  // forks child `pos` with a fresh record
void reap_unexpected();          // children that stopped at their stall point, or ended by themselves
// SIGSTOP, look, clear its records, SIGKILL, reap. Returns the class of what it held.
KillClass kill_child(int pos, bool count = true, bool stopped = false);
void hunt_and_kill();  // picks a victim in a wanted state (else any live one) and kills it
void tick();           // one tick of the watcher

// Waits (ticking) until done() or the bound; false on the bound (or a fatal report, if asked).
template <class Done>
bool wait_for(uint64_t bound, Done done, bool stop_on_fatal = true) {
  uint64_t until = now_us() + bound;
  while (!done()) {
    if (now_us() > until || (stop_on_fatal && g->fatal.load())) return false;
    tick();
    sleep_us(500);
  }
  return true;
}

}  // namespace interlock::stress
