// What the model checker runs: a scenario is 2-3 simulated processes (and maybe a Worker's env), each
// env a script of steps that its JS thread performs (js_driver.cc), plus the bounds of its search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace interlock::model {

enum class Mode { kRead, kWrite, kDowngrade };  // downgrade: a write that becomes a read while held
enum class GiveUp { kNever, kTimeout, kAbort, kEither };  // kEither: a deadline and an abort signal

struct Req {
  Mode mode;
  GiveUp give_up = GiveUp::kNever;
  uint32_t hold_ms = 0;  // sleeps this long inside (0: one scheduling point)
  bool terminate = false;  // its env ends inside (a Worker terminated): the handle closes as abandoned
  bool write() const { return mode != Mode::kRead; }
  bool deadline() const { return give_up == GiveUp::kTimeout || give_up == GiveUp::kEither; }
  bool abortable() const { return give_up == GiveUp::kAbort || give_up == GiveUp::kEither; }
};

enum class Op {
  kAcquire,      // requests made together (queued behind each other), each used once granted
  kTry,          // try_acquire() only, with pauses, until granted
  kSleep,        // a timer on the JS thread (its event loop serves rings meanwhile)
  kClose,        // close_owner() and drop the lock: the last reference gives the slot back
  kOpen,         // open_process_lock() again: a fresh ProcessLock claims a slot
  kCloseQueued,  // makes the requests, then closes the handle while they are queued
};

struct Step {
  Op op;
  std::vector<Req> reqs;
  uint32_t ms = 0;
};

struct Script {
  std::vector<Step> steps;
  int worker_of = -1;  // >= 0: a Worker's JS thread in that process (its own env and handle), listed last
  bool crashable = false;
  bool join_late = false;  // opens the lock inside the explored run (joining runs recover_dead)
  bool bell = false;       // its event loop listens on its doorbell
  int spawn_failures = 0;  // that many waiter-thread starts fail
};

struct Scenario {
  const char* name;
  const char* about;
  std::vector<Script> actors;
  int preemptions;  // DFS bound in CI
  int crashes;      // crash bound
  bool holds;       // model the kernel's slot holds (Linux) or only the liveness table (Windows)
  double weight = 1;     // its share of the CI budget
  uint32_t slots = 0;    // maxProcesses (0: one per process)
  int max_slices = 2;    // slice timeouts the survivors may need after the crashes
  int random_pct = 15;   // random schedules: how often (%) a decision leaves the default
  // CI runs its bounded DFS to the end (at most kExhaustiveCapS), whatever its share: a scenario
  // made for one known race, whose bounded space holds it, so that CI finds it deterministically.
  bool exhaustive = false;
};

constexpr double kExhaustiveCapS = 60;

std::vector<Scenario> scenarios();
const Scenario* find_scenario(const std::string& name);  // nullptr: no such scenario

}  // namespace interlock::model
