// The model world shared by the scheduler, the fake platform and the checker's driver.
//
// Every simulated process ("actor") runs on its own std::thread, but only the actor holding the
// baton runs: at each scheduling point (a shared atomic access, a park, a crash-able moment) the
// baton holder asks the explorer which actor goes next and hands the baton over. So one choice
// sequence (the "path") determines the whole execution, and replaying it reproduces it exactly.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace interlock::model {

// Thrown into an actor whose execution is being torn down (it crashed, or the run ended early).
struct Unwind {};

enum class ActorState { kRunnable, kBlocked, kFinished, kDead };
enum class Wake { kNone, kSet, kGiveUp, kSlice };

struct ModelEvent {  // a manual-reset park event (only the slot's owner resets and waits on it)
  bool set = false;
};

struct Actor {
  int id = 0;
  uint64_t key = 0;  // process key: what the core stores as a slot owner
  bool crashable = false;
  ActorState state = ActorState::kRunnable;
  ModelEvent* blocked_on = nullptr;
  bool can_give_up = false;
  bool in_park = false;
  int spins = 0;  // parks in a row that returned at once (the event was already set)  // inside park(): blocked, or
                  // woken and not yet resumed  // parked for a request with a deadline or an abort signal
  Wake wake = Wake::kNone;
  bool unwind = false;             // tear down: the next scheduling point throws Unwind
  bool unwound = false;            // Unwind thrown: scheduling points are inert from now on
  std::vector<uint64_t> watching;  // ExitWatch keys
  std::vector<uint64_t> reported_dead;  // watched keys already reported dead (once each)
  std::function<void()> on_exit;
  int inside_read = 0, inside_write = 0;
  std::condition_variable cv;
  std::thread thread;
};

struct Alt {
  enum Kind { kRun, kGiveUp, kCrash } kind;
  int actor;
  int preempt_cost;
  int crash_cost;
};

// Chooses among alternatives; alternative 0 is always the non-preemptive default.
class Explorer {
 public:
  virtual ~Explorer() = default;
  virtual size_t choose(const std::vector<Alt>& alts) = 0;
};

struct Limits {
  int max_crashes = 0;
  int max_slices = 2;              // slice timeouts allowed after a crash (the recovery path)
  uint64_t max_decisions = 20000;  // more is a livelock
};

struct World {
  std::mutex mu;
  std::condition_variable done_cv;
  std::vector<std::unique_ptr<Actor>> actors;
  int current = -1;
  bool active = false;  // scheduling points only count while an execution runs
  bool done = false;
  std::string failure;
  Explorer* explorer = nullptr;
  Limits limits;
  int crashes = 0;
  bool expect_poison = false;  // a writer died inside: the next holder must see the lock abandoned
  int slices = 0;
  uint64_t decisions = 0;
  uint64_t spin_yields = 0;  // statistics: how often a waiter spun (see park())
  uint64_t clock_ms = 1000;
  bool trace = false;
  std::vector<std::string> trace_lines;
  std::vector<uint64_t> state_hashes;  // one per decision, for the distinct-state count
  bool model_holds = false;            // Linux-like kernel slot holds (true) or liveness table only (false)
};

World& world();
int current_actor();        // -1 outside actor threads (the setup actor while setting up)
int tl_actor_public();      // -1 outside actor threads
void set_setup_actor(int);  // main thread: whose identity the setup phase runs under

// ---- used by the fake platform ----
void park(ModelEvent& ev);  // blocks the current actor until set, given up or sliced
void set_event(ModelEvent& ev);
bool key_alive(uint64_t key);
void watch(std::vector<uint64_t> keys, std::function<void()> on_exit);
void note(const std::string& line);
uint64_t state_hash();       // fake platform: a hash of the shared state, for statistics
void drop_holds(int actor);  // fake platform: the kernel drops a dead process's slot holds
void reset_platform();       // fake platform: a fresh world of segments and events

// ---- used by the driver ----
void fail(const std::string& why);  // a violation: ends the execution
void run_execution(const std::vector<std::function<void()>>& bodies);
void check_point(const char* what);  // a scheduling point that is not a memory access
std::string describe_address(const void* address);
std::string describe_world();
struct SharedView {  // the protocol's words, read without scheduling points
  uint32_t state = 0;
  uint64_t readers = 0;
  std::vector<uint32_t> flags;  // per slot
};
SharedView view();
// Reader-mask words past the first: with at most 64 slots nobody writes them after initialisation,
// so loading them commutes with every other step and is not made a scheduling point (a sound
// partial-order reduction that spares recover_dead 15 steps).
bool inert_address(const void* address);

}  // namespace interlock::model
