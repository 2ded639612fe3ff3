// The model world shared by the scheduler, the fake platform, the model registry and the driver.
//
// A simulated process has several actors: its JavaScript thread (running a script of the driver)
// and the waiter threads that the real async/process_lock.cc starts through start_waiter_thread()
// (model_sync.h). Every actor runs on its own std::thread, but only the actor holding the baton
// runs: at each scheduling point (a shared atomic access, a park, a model mutex, a timer) the baton
// holder asks the explorer which actor goes next and hands the baton over. So one choice sequence
// (the "path") determines the whole execution, and replaying it reproduces it exactly.
//
// Everything in here is touched only by the baton holder (or by the main thread while no actor
// runs), and every hand-over goes through World::mu: the scheduler itself is free of data races
// (it builds and runs under -fsanitize=thread).
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

// Thrown into an actor whose execution is being torn down (its process crashed, or the run ended).
struct Unwind {};

enum class ActorState { kRunnable, kBlocked, kFinished, kDead };
// Why a wait ended: notified (an event set, a mutex released, a completion or a ring for a JS
// thread), its timer (a deadline, the linger, a JS sleep), a waiter's 100 ms slice, or an abort.
enum class Wake { kNone, kNotify, kTimer, kSlice, kAbort };

constexpr uint64_t kNoTimer = ~uint64_t{0};
constexpr uint64_t kSliceMs = 100;  // kWaitSliceMs (async/completion.h): a park this long is a slice

struct ModelEvent {  // a manual-reset park event (only the slot's owner resets and waits on it)
  bool set = false;
};

struct Actor {
  int id = 0;
  int proc = 0;
  std::string name;  // "P0" (the JS thread of process 0), "P0w1" (its first waiter thread), "P0.worker"
  bool js = false;   // a JS thread (an env's event loop), not a waiter thread
  ActorState state = ActorState::kRunnable;
  const void* blocked_on = nullptr;  // what it waits for (nullptr: only its timer)
  const char* waits_for = "";        // in words, for traces
  uint64_t timer_at = kNoTimer;      // while blocked: when its timeout ends (model clock)
  bool slice = false;                // that timeout is only the waiter's slice (a missed wake-up's backstop)
  bool in_wait = false;              // inside a wait: blocked, or woken and not yet resumed
  bool abortable = false;            // a JS wait that an AbortSignal may end
  Wake wake = Wake::kNone;
  int spins = 0;                // parks in a row that returned at once (the event was already set)
  bool unwind = false;          // tear down: the actor's pending wait throws Unwind
  bool unwound = false;         // Unwind thrown (or pending): every scheduling point is inert from now on
  std::function<void()> body;   // what the thread runs (moved out when it starts)
  std::condition_variable cv;   // waits for the baton
  std::thread thread;
};

struct Process {
  int id = 0;
  uint64_t key = 0;  // process key: what the core stores as a slot owner
  bool crashable = false;
  bool alive = true;
  bool bell = false;          // its event loop listens on its doorbell
  bool bell_pending = false;  // a ring its JS thread has not served yet
  int spawn_failures = 0;     // that many waiter-thread starts fail (std::system_error) from the start
  int threads_started = 0;
  int inside_read = 0, inside_write = 0;  // how many of its JS threads are in a critical section
  char loop = 0;  // what its JS threads' event loops wait on (completions, rings)
};

// A JS thread to start with the execution: the main thread of a process, or a Worker's.
struct JsThread {
  int proc;
  std::string name;
  std::function<void()> body;
};

struct Alt {
  enum Kind { kRun, kFire, kAbort, kCrash } kind;
  int who;  // actor (kRun, kFire, kAbort) or process (kCrash)
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
  int max_slices = 2;              // slice timeouts the survivors may need after a crash (recovery)
  uint64_t max_decisions = 40000;  // more is a livelock
};

// An ExitWatch of the fake platform (one per ProcessLock).
struct Watch {
  int proc = 0;
  std::vector<uint64_t> keys;
  std::vector<uint64_t> reported;  // watched keys already reported dead (once each, as the real one)
  std::function<void()> on_exit;
};

struct World {
  std::mutex mu;
  std::condition_variable done_cv;
  std::vector<std::unique_ptr<Actor>> actors;
  std::vector<std::unique_ptr<Process>> procs;
  std::vector<Watch*> watches;
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
Actor* current_actor_ptr();  // nullptr outside actor threads
int current_process();       // the current actor's process; the setup process outside actors
void set_setup_process(int);  // main thread: whose identity the setup phase runs under
const std::string& actor_name(int actor);

// ---- scheduling points and waits (no-ops outside a running execution) ----
void check_point(const char* what);
// Blocks the current actor on `on` (nullptr: nothing but the timer) until notify(on), its timer
// (timeout_ms from now; kNoTimer: none; slice: a waiter's 100 ms slice), or an abort (abortable).
// A scheduling point. Returns why it woke (kNone: torn down in an inert region).
Wake wait(const void* on, uint64_t timeout_ms, bool slice, bool abortable, const char* what);
void notify(const void* on);  // every actor waiting on `on` becomes runnable; not a scheduling point
void park(ModelEvent& ev, uint32_t timeout_ms);  // the park event's wait
void set_event(ModelEvent& ev);
void reset_event(ModelEvent& ev);
void mutex_lock(int* owner, const void* mutex);
bool mutex_try_lock(int* owner, const void* mutex);
void mutex_unlock(int* owner, const void* mutex);
void spawn_actor(std::function<void()> body);  // a new thread of the current process
bool ring_bell(uint64_t key);                  // a doorbell ring: false if not delivered
bool bell_listening();                         // the current process listens on its doorbell
bool key_alive(uint64_t key);
bool bell_pending(int proc);  // a ring that process's JS thread has not served yet
bool take_bell(int proc);     // serves it: true if there was one
uint64_t now_ms();

// Destructors that may reach scheduling points (the last reference of a ProcessLock going away
// runs ~RwLockSegment) run inside an inert region: if the run is torn down meanwhile they finish
// without scheduling (never throw out of a destructor), and Unwind is thrown after the region.
void inert_region(const std::function<void()>& fn);
template <class T>
void drop(std::shared_ptr<T>& p) {
  inert_region([&] { p.reset(); });
}

// ---- exit watches (fake platform) ----
void watch_register(Watch* w);
void watch_unregister(Watch* w);
void watch_set(Watch* w, const std::vector<uint64_t>& keys);

// ---- used by the driver ----
void note(const std::string& line);
void fail(const std::string& why);       // a violation: ends the execution (throws Unwind in an actor)
void fail_soft(const std::string& why);  // the same, where no exception may leave (returns)
// Runs one execution of the JS threads. at_end runs on the main thread once the execution is over,
// before the actors are torn down (the shared state is still as they left it).
void run_execution(const std::vector<JsThread>& threads, const std::function<void()>& at_end);
std::string describe_address(const void* address);
std::string describe_world();
struct SharedView {  // the protocol's words, read without scheduling points
  uint32_t state = 0;
  uint64_t readers = 0;
  std::vector<uint32_t> flags;   // per slot
  std::vector<uint64_t> owners;  // per slot
};
SharedView view();
// Reader-mask words past the first: with at most 64 slots nobody writes them after initialisation,
// so loading them commutes with every other step and is not made a scheduling point (a sound
// partial-order reduction that spares recover_dead 15 steps).
bool inert_address(const void* address);

// ---- fake platform ----
uint64_t state_hash();        // a hash of the shared state, for statistics
void drop_holds(int proc);    // the kernel drops a dead process's slot holds
void reset_platform();        // a fresh world of segments and events

}  // namespace interlock::model
