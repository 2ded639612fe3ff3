// A deterministic interleaving explorer ("loom-style") for the lock protocol and its async layer:
// the real portable core (src/native/core/rw_lock_segment.cc) and the real per-process lock
// (src/native/async/process_lock.cc: fast path, queue, waiter threads, deadlines, cancel, close,
// the doorbell's serve_ready, try-lock recovery) run unmodified against the fake platform and the
// model's mutex and threads (model_sync.h), 2-3 simulated processes at a time. Each env of a process
// (its main thread, maybe a Worker's) has a JS thread that runs a script, as the Node-API layer would
// (try_acquire, enqueue with its sink, wait for the completion, critical section, release; try-only
// loops; cancel on abort; close and re-open; a Worker terminated inside), plus the waiter threads
// process_lock.cc starts. The explorer chooses, at every shared access, mutex, park and timer, which
// thread moves next, whether a timer fires early, whether an abort lands, and whether a process
// crashes (all its threads at once).
//
// Checked: (a) mutual exclusion: a writer is never inside together with anyone else (another
// process, or another thread of its own); (b) no lost wake-up: in a run without crashes, nobody can
// run while someone waits for a completion (or a mutex) and only a 100 ms slice would move anyone;
// (c) with crashes: the survivors all finish, using at most a few slice timeouts (the recovery
// path); (d) poison is reported (guard.abandoned) to the next holder after a writer dies inside, or
// its Worker is terminated inside; (e) every request completes exactly once (none after cancel()
// said it was dequeued or close dropped it; close reports exactly the requests it dropped); (f)
// try-only processes get the lock within a bounded number of tries (model time), crash or not; (g)
// at the end every slot that is free has no flags, no reader bit and is not the writer, a live
// process that closed holds no slot, and without a crash the lock is free with no stale waiting bit;
// (h) no livelock (a step bound); and every ProcessLock is destroyed.
//
// The model is sequentially consistent: it checks the protocol's logic under all SC interleavings
// within the bounds, not weak-memory effects (every protocol access in the core is seq_cst).
//
// Usage:
//   model_check ci [seconds] [scenario]         the CI suite: every scenario (or one) within a budget
//   model_check dfs <scenario> <preemptions> [seconds] [crashes]
//   model_check random <scenario> <seed> <runs> [preemptions]
//   model_check replay <scenario> <path> [crashes]  re-run one schedule and print its trace
//   model_check list
// Exit status: 0 no violation, 1 violation (the schedule, its path and a replay command are printed),
// 2 usage error.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <sstream>
#include <unordered_set>

#include "async/lock_registry.h"
#include "async/process_lock.h"
#include "core/error.h"
#include "model.h"

using namespace interlock;
using model::Alt;
using model::world;

namespace {

constexpr uint64_t kTimeoutMs = 30;  // a request's timeout: a deadline shorter than the slice
constexpr uint32_t kTryPauseMs = 5;  // a try-only process sleeps this long between tries
constexpr int kMaxTries = 60;        // ... and must get the lock within that many (300 ms of model time)

// ---- scenarios --------------------------------------------------------------------------------

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

Req R(GiveUp g = GiveUp::kNever, uint32_t hold = 0) {
  return {Mode::kRead, g, hold};
}
Req W(GiveUp g = GiveUp::kNever, uint32_t hold = 0) {
  return {Mode::kWrite, g, hold};
}
Req D() {
  return {Mode::kDowngrade};
}
Req ended(Req r) {
  r.terminate = true;
  return r;
}
Step acq(std::vector<Req> r) {
  return {Op::kAcquire, std::move(r)};
}
Step try_only(Req r) {
  return {Op::kTry, {r}};
}
Step nap(uint32_t ms) {
  return {Op::kSleep, {}, ms};
}
Step close_lock() {
  return {Op::kClose, {}, 0};
}
Step open_lock() {
  return {Op::kOpen, {}, 0};
}
Step close_queued(std::vector<Req> r) {
  return {Op::kCloseQueued, std::move(r)};
}
Script S(std::vector<Step> steps) {
  return {std::move(steps)};
}
Script crashable(Script s) {
  s.crashable = true;
  return s;
}
Script late(Script s) {
  s.join_late = true;
  return s;
}
Script bell(Script s) {
  s.bell = true;
  return s;
}
Script no_thread_at_first(Script s) {
  s.spawn_failures = 1;
  return s;
}
Script worker_of(int proc, Script s) {
  s.worker_of = proc;
  return s;
}

std::vector<Scenario> scenarios() {
  using G = GiveUp;
  std::vector<Scenario> all;
  auto add = [&](Scenario s) { all.push_back(std::move(s)); };
  add({"rw-2",
       "two processes, a write then a read against a read then a write",
       {S({acq({W()}), acq({R()})}), S({acq({R()}), acq({W()})})},
       3,
       0,
       false});
  add({"ww-r", "two writers and a reader", {S({acq({W()})}), S({acq({W()})}), S({acq({R()})})}, 2, 0, false});
  add({"downgrade",
       "a downgrading writer, a writer and a reader",
       {S({acq({D()})}), S({acq({W()})}), S({acq({R()})})},
       2,
       0,
       false});
  add({"give-up",
       "a writer, a writer with a deadline and a reader that aborts (cancel() races the waiter thread)",
       {S({acq({W()})}), S({acq({W(G::kTimeout)})}), S({acq({R(G::kAbort)})})},
       2,
       0,
       false});
  add({"write-then-read",
       "a process queues a write (aborted) then a read behind a writer; another reader",
       {S({acq({W()})}), S({acq({W(G::kAbort), R()})}), S({acq({R()})})},
       2,
       0,
       false});
  add({"timeout-then-read",
       "as write-then-read, with a deadline instead of an abort; two processes",
       {S({acq({W()}), acq({R()})}), S({acq({W(G::kTimeout), R()})})},
       3,
       0,
       false});
  add({"timeouts",
       "deadlines that expire while parked behind a writer that sleeps inside; an abort after the deadline",
       {S({acq({W(G::kNever, 40)})}), S({acq({W(G::kTimeout)})}), S({acq({R(G::kEither), R()})})},
       2,
       0,
       true});
  add({"cancel-serve",
       "aborts of queued and just-granted requests while the waiter thread serves them",
       {S({acq({W()})}), S({acq({R(G::kAbort), W(G::kAbort), R()})})},
       3,
       0,
       true});
  add({"try-only",
       "try-only writer and reader (try_acquire with pauses) beside a writer that sleeps inside",
       {S({acq({W(G::kNever, 10)})}), S({try_only(W())}), S({try_only(R())})},
       2,
       0,
       true});
  add({"reopen",
       "a process reads, closes (its slot is given back) and re-opens (claims one again) to write; a writer; a "
       "late joiner",
       {S({acq({R()}), close_lock(), open_lock(), acq({W()})}), S({acq({W()})}), late(S({acq({R()})}))},
       2,
       0,
       true});
  add({"close-queued",
       "a process closes its handle while its write is queued, re-opens and reads; a writer",
       {S({acq({W(G::kNever, 10)})}), S({close_queued({W()}), open_lock(), acq({R()})})},
       3,
       0,
       true});
  add({"doorbell",
       "every process listens on its doorbell: waiting writers are handed the lock by a ring to their event loop",
       {bell(S({acq({W()}), acq({R()})})), bell(S({acq({W()})})), bell(S({acq({R()})}))},
       2,
       0,
       true});
  add({"spawn-fails",
       "a process's first waiter thread cannot be started (enqueue throws); its retry queues normally",
       {S({acq({W(G::kNever, 10)})}), no_thread_at_first(S({acq({W()})})), S({acq({R()})})},
       2,
       0,
       true});
  add({"worker",
       "a process with a Worker (two envs, two handles, one ProcessLock and queue) beside another process",
       {S({acq({W()}), acq({R()})}), S({acq({W()})}), worker_of(0, S({acq({R()}), acq({W()})}))},
       2,
       0,
       true});
  add({"worker-ends",
       "a Worker terminated inside its write while its read is queued: the handle closes as abandoned "
       "(poison), the queued read is dropped",
       {S({acq({R()})}), S({acq({W()}), acq({R()})}), worker_of(0, S({acq({ended(W()), R()})}))},
       2,
       0,
       true});
  add({"worker-doorbell",
       "doorbell listeners, one with a Worker: one env's event loop serves the other env's queued write",
       {bell(S({acq({W()})})), bell(S({acq({W()}), acq({R()})})), worker_of(0, S({acq({W()})}))},
       2,
       0,
       true});
  add({"crash-2",
       "two processes, each a write and a read; the first may crash anywhere (liveness table only)",
       {crashable(S({acq({W()}), acq({R()})})), S({acq({R()}), acq({W()})})},
       2,
       1,
       false});
  add({"crash-writer",
       "a writer that may crash anywhere, a reader and a writer (liveness table only)",
       {crashable(S({acq({W()})})), S({acq({R()})}), S({acq({W()})})},
       1,
       1,
       false});
  add({"crash-reader",
       "a reader that may crash anywhere, a writer and a reader (kernel slot holds)",
       {crashable(S({acq({R()})})), S({acq({W()})}), S({acq({R()})})},
       1,
       1,
       true});
  add({"crash-join",
       "a downgrading writer that may crash, a writer, a late joiner that reads",
       {crashable(S({acq({D()})})), S({acq({W()})}), late(S({acq({R()})}))},
       1,
       1,
       true});
  add({"crash-try",
       "a writer that may crash inside; try-only writer and reader must still get the lock (try-lock recovery)",
       {crashable(S({acq({W(G::kNever, 10)})})), S({try_only(W())}), S({try_only(R())})},
       1,
       1,
       true});
  add({"crash-doorbell",
       "doorbell listeners; a writer that may crash, a queued writer and a queued reader",
       {crashable(bell(S({acq({W()})}))), bell(S({acq({W()})})), bell(S({acq({R()})}))},
       1,
       1,
       true});
  add({"two-crashes",
       "a writer and a reader that may both crash; a survivor writes then tries to read",
       {crashable(S({acq({W()})})), crashable(S({acq({R()})})), S({acq({W()}), try_only(R())})},
       1,
       2,
       true,
       1,
       0,
       4});
  // The review finding: recovery (drop_writer_if_stray in a joiner's recover_dead) loaded a reader
  // bit, then the slot's owner; in between, the reader closed (owner 0) and re-opened, claiming the
  // same slot and reading again; the recoverer cleared the new reader's bit and a writer entered
  // beside it. A reader that sleeps inside and between close and re-open makes the two hand-overs
  // its timers: two preemptions, both inside the recoverer's scan. Its bounded space (about 5000
  // schedules) is explored to the end in CI.
  {
    Scenario s{"stray-reader",
               "a reader closes and re-opens (same slot) while a joiner recovers stray reader bits, then tries to "
               "write",
               {S({acq({R(G::kNever, 10)}), close_lock(), nap(5), open_lock(), acq({R(G::kNever, 10)})}),
                late(S({try_only(W())}))},
               2,
               0,
               true};
    s.exhaustive = true;
    add(s);
  }
  // The same race with the recovery in a third process (a late joiner that reads) and a queued writer
  // that the recovery's own wake-up lets drain: the shape of the review's schedule. Its bounded space
  // holds the race too, but deeper in DFS order (tens of thousands of schedules): a regular scenario.
  add({"stray-reader-3",
       "as stray-reader, the recovery in a third process (a late joiner that reads) and a queued writer",
       {S({acq({R(G::kNever, 10)}), close_lock(), nap(5), open_lock(), acq({R(G::kNever, 10)})}),
        late(S({acq({R()})})), S({nap(1), acq({W()})})},
       2,
       0,
       true});
  for (const Scenario& sc : all) {  // Workers' scripts come after every process's
    bool worker = false;
    for (const Script& s : sc.actors) {
      if (worker && s.worker_of < 0) std::abort();
      worker |= s.worker_of >= 0;
    }
  }
  return all;
}

// ---- the JS side of each process, and the per-process registry --------------------------------

struct ReqRec {
  Req req;
  bool aborted = false;   // its AbortSignal fired: the JS side forgot it
  bool dequeued = false;  // cancel() said it was still queued: it must never complete
  bool closed = false;    // close_owner() dropped it: it must never complete
  bool done = false;
  int completions = 0;
};

class ModelSink;

// One env (the main thread's, or a Worker's) of a simulated process: its handle and what its JS
// thread waits for.
struct Env {
  int proc = 0;
  std::string name;  // "P0", or "P0.worker"
  std::shared_ptr<ProcessLock> lock;
  uint64_t owner = 0;
  std::shared_ptr<ModelSink> sink;
  bool alive = true;  // false once its teardown ran: its sink refuses completions
  std::map<uint64_t, ReqRec> requests;
  std::deque<Completion> completions;  // delivered, not yet taken by the JS thread
  int slot = -1;                       // the slot its lock claimed last
};

// async/lock_registry.cc, one per simulated process (the real one is process-global, and all
// simulated processes share one address space).
struct App {
  std::map<std::string, std::weak_ptr<ProcessLock>> locks;
  std::vector<std::pair<const ProcessLock*, std::weak_ptr<ProcessLock>>> active;
  char registry_changed = 0;  // what an open waits on while the lock of that name is being destroyed
};

std::vector<std::unique_ptr<Env>> g_envs;
std::vector<std::unique_ptr<App>> g_apps;
int g_live_locks = 0;

App& app() {
  return *g_apps[model::current_process()];
}

std::string pname(int proc) {
  return "P" + std::to_string(proc);
}

// What a run went through, so that each scenario's statistics show its paths are exercised.
enum Covered : unsigned {
  kFastGrant,
  kQueuedGrant,
  kServedByJs,  // a grant made on a JS thread (serve_ready after a doorbell ring)
  kRing,
  kTimedOut,
  kDequeued,
  kRevoked,
  kAlreadyComplete,
  kClosedQueued,  // close_owner() dropped queued requests
  kSameSlot,      // a re-open claimed the slot it had given back
  kRegistryWait,  // an open waited for the lock of that name being destroyed
  kSpawnFailed,
  kCrash,
  kAbandoned,      // a grant reported the lock abandoned (poisoned)
  kTryRecovered,   // a try-only process got the lock after a crash
  kEnvEnded,       // an env ended inside: its handle closed as abandoned
  kCoveredCount
};
const char* const kCoveredNames[kCoveredCount] = {
    "fast-path grant", "queued grant", "grant on a JS thread", "doorbell served", "timed out",
    "abort: dequeued", "abort: grant revoked", "abort: already complete", "close dropped queued",
    "re-open into the same slot", "open waited for a destroy", "no waiter thread", "crash",
    "abandoned grant", "try-only got it after a crash", "env ended inside"};
unsigned g_covered = 0;  // bits of this run
void cover(Covered c) {
  g_covered |= 1u << c;
}

class ModelSink : public CompletionSink {
 public:
  explicit ModelSink(int env) : env_(env) {}
  // Called from a waiter thread (or a JS thread serving a ring) with the lock's mutex held.
  bool deliver(const Completion& c) override {
    Env& e = *g_envs[env_];
    static const char* status[] = {"granted", "timed out", "too many guards"};
    model::note("completion for " + e.name + ": request " + std::to_string(c.request_id) + " " +
                status[static_cast<int>(c.status)] + (c.abandoned ? " (abandoned)" : "") +
                (e.alive ? "" : ": its env is gone, refused"));
    if (!e.alive) return false;
    auto it = e.requests.find(c.request_id);
    if (it == e.requests.end()) {
      model::fail_soft("a completion for a request " + e.name + " never made");
      return true;
    }
    ReqRec& r = it->second;
    if (++r.completions > 1) {
      model::fail_soft("request " + std::to_string(c.request_id) + " of " + e.name + " completed twice");
    } else if (r.dequeued) {
      model::fail_soft("a completion for a request cancel() reported dequeued (" + e.name + ")");
    } else if (r.closed) {
      model::fail_soft("a completion for a request close_owner() dropped (" + e.name + ")");
    }
    e.completions.push_back(c);
    if (c.status == CompletionStatus::kGranted) {
      model::Actor* me = model::current_actor_ptr();
      if (me != nullptr && me->js) cover(kServedByJs);
    }
    model::notify(&world().procs[e.proc]->loop);
    return true;
  }

 private:
  int env_;
};

struct EnvEnded {};  // thrown on a JS thread whose env was torn down: its script ends there

LockOpenOptions lock_options(const Scenario& sc) {
  LockOpenOptions o;
  o.name = "model";
  uint32_t processes = 0;
  for (const Script& s : sc.actors) processes += s.worker_of < 0;
  o.max_processes = sc.slots ? sc.slots : processes;
  return o;
}

struct Held {
  uint64_t guard;
  bool abandoned;
  Req req;
};

// One env's JS thread running its script.
class Js {
 public:
  Js(int env, const Scenario& sc) : a_(*g_envs[env]), p_(a_.proc), sc_(sc) {}

  // The handle: open_process_lock() + attach_owner(), as new RwLockHandle() does.
  void open() {
    a_.lock = open_process_lock(lock_options(sc_));
    a_.lock->attach_owner();
    a_.owner = next_async_id();
    model::note(a_.name + " has the lock open");
    model::SharedView v = model::view();
    for (size_t i = 0; i < v.owners.size(); ++i) {
      if (v.owners[i] != world().procs[p_]->key) continue;
      if (a_.slot == static_cast<int>(i)) cover(kSameSlot);
      a_.slot = static_cast<int>(i);
    }
  }

  void run(const Script& s) {
    try {
      if (!a_.lock) open();
      for (const Step& st : s.steps) step(st);
      if (a_.lock) close();
    } catch (const EnvEnded&) {
    }
    for (auto& [id, r] : a_.requests) {
      if (!r.done) model::fail(a_.name + ": request " + std::to_string(id) + " never completed");
    }
  }

 private:
  model::Process& proc() { return *world().procs[p_]; }

  void step(const Step& st) {
    switch (st.op) {
      case Op::kAcquire:
      case Op::kCloseQueued: {
        std::deque<Held> held;
        std::vector<uint64_t> mine;
        for (const Req& r : st.reqs) request(r, held, mine);
        if (st.op == Op::kCloseQueued) {
          while (!held.empty()) {
            use(held.front());
            held.pop_front();
          }
          close();
        } else {
          serve(held, mine);
        }
        break;
      }
      case Op::kTry:
        try_only(st.reqs[0]);
        break;
      case Op::kSleep:
        sleep(st.ms);
        break;
      case Op::kClose:
        close();
        break;
      case Op::kOpen:
        open();
        break;
    }
  }

  // acquire(): the fast path, else a queued request with its deadline.
  void request(const Req& r, std::deque<Held>& held, std::vector<uint64_t>& mine) {
    LockMode m = r.write() ? LockMode::kWrite : LockMode::kRead;
    for (int attempt = 0;; ++attempt) {
      Grant g = a_.lock->try_acquire(m, a_.owner);
      if (g.guard_id != 0) {
        cover(kFastGrant);
        held.push_back({g.guard_id, g.abandoned, r});
        return;
      }
      uint64_t deadline = r.deadline() ? platform::monotonic_ms() + kTimeoutMs : kNoDeadline;
      try {
        uint64_t id = a_.lock->enqueue(m, a_.owner, deadline, a_.sink);
        a_.requests[id] = ReqRec{r};
        mine.push_back(id);
        return;
      } catch (const Error& e) {
        // No waiter thread could be started: the promise is rejected; the application tries again.
        if (e.code() != ErrorCode::kSystem || attempt > 2) throw;
        cover(kSpawnFailed);
        model::note(a_.name + ": acquire() failed (" + e.what() + "), tries again");
      }
    }
  }

  // Waits for the completions of `mine`, using each grant as it arrives.
  void serve(std::deque<Held>& held, const std::vector<uint64_t>& mine) {
    for (;;) {
      while (!held.empty()) {
        Held h = held.front();
        held.pop_front();
        use(h);
      }
      bool pending = false, abortable = false;
      for (uint64_t id : mine) {
        const ReqRec& r = a_.requests[id];
        pending |= !r.done;
        abortable |= !r.done && !r.aborted && r.req.abortable();
      }
      if (!pending) return;
      model::Wake why = model::Wake::kNotify;
      if (!model::bell_pending(p_) && a_.completions.empty()) {
        why = model::wait(&proc().loop, model::kNoTimer, false, abortable, "a completion (its event loop)");
      }
      if (why == model::Wake::kAbort) abort_one(mine);
      event_loop(&held);
    }
  }

  // What the event loop does when it wakes: serve a doorbell ring, dispatch completions.
  void event_loop(std::deque<Held>* held) {
    if (model::take_bell(p_)) {
      cover(kRing);
      model::note(a_.name + "'s event loop: the doorbell rang, serve_active_locks()");
      serve_active_locks();
    }
    if (held == nullptr) return;
    while (!a_.completions.empty()) {
      Completion c = a_.completions.front();
      a_.completions.pop_front();
      dispatch(c, *held);
      model::inert_region([&] { c = Completion{}; });  // its source may be the lock's last reference
    }
  }

  void dispatch(const Completion& c, std::deque<Held>& held) {
    ReqRec& r = a_.requests[c.request_id];
    r.done = true;
    bool claimed = !r.aborted && !r.closed && c.status == CompletionStatus::kGranted;
    if (c.status == CompletionStatus::kTimedOut && !r.req.deadline()) {
      model::fail(a_.name + ": a request without a deadline timed out");
    }
    if (c.status == CompletionStatus::kTooManyGuards) model::fail(a_.name + ": refused with too many guards");
    if (c.status == CompletionStatus::kTimedOut) cover(kTimedOut);
    if (claimed) {
      cover(kQueuedGrant);
      held.push_back({c.guard_id, c.abandoned, r.req});
    }
    if (c.source) c.source->settled(c, claimed);
  }

  void abort_one(const std::vector<uint64_t>& mine) {
    for (uint64_t id : mine) {
      ReqRec& r = a_.requests[id];
      if (r.done || r.aborted || !r.req.abortable()) continue;
      r.aborted = true;
      ProcessLock::Cancelled res = a_.lock->cancel(id);
      static const char* what[] = {"dequeued", "grant revoked", "already complete"};
      model::note(a_.name + " aborts request " + std::to_string(id) + ": " + what[static_cast<int>(res)]);
      cover(res == ProcessLock::Cancelled::kDequeued       ? kDequeued
            : res == ProcessLock::Cancelled::kGrantRevoked ? kRevoked
                                                           : kAlreadyComplete);
      if (res == ProcessLock::Cancelled::kDequeued) {
        r.dequeued = true;
        r.done = true;
      }
      return;
    }
  }

  // A JS timer: the event loop serves rings meanwhile; completions wait for whoever waits for them.
  void sleep(uint32_t ms) {
    uint64_t until = platform::monotonic_ms() + ms;
    for (;;) {
      event_loop(nullptr);
      uint64_t now = platform::monotonic_ms();
      if (now >= until) return;
      model::Wake why = model::wait(&proc().loop, until - now, false, false, "a JS timer");
      if (why == model::Wake::kTimer || why == model::Wake::kNone) return;
    }
  }

  void try_only(const Req& r) {
    LockMode m = r.write() ? LockMode::kWrite : LockMode::kRead;
    for (int tries = 1;; ++tries) {
      Grant g = a_.lock->try_acquire(m, a_.owner);
      if (g.guard_id != 0) {
        if (world().crashes > 0 && tries > 1) cover(kTryRecovered);
        use({g.guard_id, g.abandoned, r});
        return;
      }
      if (tries >= kMaxTries) {
        model::fail(a_.name + " tried " + std::to_string(tries) + " times (" +
                    std::to_string(tries * kTryPauseMs) + " ms of model time) and never got the lock" +
                    (world().crashes ? " after a crash (try-lock recovery)" : "") + "\n" + model::describe_world());
      }
      sleep(kTryPauseMs);
    }
  }

  // The critical section of one grant.
  void use(const Held& h) {
    model::Process& me = proc();
    bool write = h.req.write();
    enter(write);
    if (h.abandoned) cover(kAbandoned);
    if (world().expect_poison && !h.abandoned) {
      model::fail(a_.name + " was granted after a writer died inside, yet not told abandoned");
    }
    if (write && h.abandoned) {
      a_.lock->mark_consistent(h.guard);
      world().expect_poison = false;
    }
    if (h.req.hold_ms != 0) {
      sleep(h.req.hold_ms);
    } else {
      model::check_point(write ? "holds write" : "holds read");
    }
    if (h.req.terminate) {
      // Worker.terminate() while it holds the guard: the env's cleanup closes the handle as
      // abandoned; a write guard released so poisons the lock, as a writer that dies inside does.
      model::note(a_.name + "'s env ends inside (terminated): its handle closes as abandoned");
      cover(kEnvEnded);
      if (write) world().expect_poison = true;
      (write ? me.inside_write : me.inside_read) -= 1;
      teardown();
      throw EnvEnded{};
    }
    if (h.req.mode == Mode::kDowngrade) {
      me.inside_write -= 1;  // from the call on, it only reads
      me.inside_read += 1;
      a_.lock->downgrade(h.guard);
      model::check_point("holds read (downgraded)");
    }
    (h.req.write() && h.req.mode != Mode::kDowngrade ? me.inside_write : me.inside_read) -= 1;
    model::note(a_.name + " leaves");
    if (!a_.lock->release(h.guard)) model::fail(a_.name + ": release() of a guard it holds returned false");
  }

  void enter(bool write) {
    model::Process& me = proc();
    for (auto& q : world().procs) {
      if (q->id == p_) continue;
      if (q->inside_write || (write && q->inside_read)) {
        model::fail("mutual exclusion: " + a_.name + " enters to " + (write ? "write" : "read") + " while " +
                    pname(q->id) + " is inside to " + (q->inside_write ? "write" : "read"));
      }
    }
    if (me.inside_write || (write && me.inside_read)) {
      model::fail("mutual exclusion within " + pname(p_) + ": " + a_.name + " enters to " + (write ? "write" : "read") +
                  " while another of its threads is inside");
    }
    (write ? me.inside_write : me.inside_read) += 1;
    model::note(a_.name + " ENTERS to " + (write ? "write" : "read"));
  }

  // close(): close_owner(), then the completions already on their way find nobody.
  void close() { end_handle(false); }

  // EnvContext::teardown: its handles close as abandoned, then its sink refuses, and the completions
  // still queued for it are settled unclaimed.
  void teardown() { end_handle(true); }

  void end_handle(bool env_ends) {
    uint32_t dropped = a_.lock->close_owner(a_.owner, env_ends);
    if (env_ends) a_.alive = false;
    std::deque<Held> none;
    while (!a_.completions.empty()) {
      Completion c = a_.completions.front();
      a_.completions.pop_front();
      ReqRec& r = a_.requests[c.request_id];
      r.done = true;
      if (c.source) c.source->settled(c, false);
      model::inert_region([&] { c = Completion{}; });
    }
    uint32_t pending = 0;
    for (auto& [id, r] : a_.requests) {
      if (r.done) continue;
      ++pending;
      r.done = r.closed = true;
    }
    if (dropped > 0) cover(kClosedQueued);
    if (pending != dropped) {
      model::fail(a_.name + ": close_owner() reported " + std::to_string(dropped) + " requests dropped, " +
                  std::to_string(pending) + " were pending");
    }
    model::note(a_.name + (env_ends ? "'s env is gone" : " closes the lock"));
    model::drop(a_.lock);
  }

  Env& a_;
  int p_;
  const Scenario& sc_;
};

}  // namespace

// The registry's API (async/lock_registry.h), per simulated process.
namespace interlock {

std::shared_ptr<ProcessLock> open_process_lock(const LockOpenOptions& options) {
  App& a = app();
  const int proc = model::current_process();
  for (;;) {
    auto it = a.locks.find(options.name);
    if (it == a.locks.end()) break;
    if (auto existing = it->second.lock()) return existing;
    // Being destroyed right now on another thread: wait for its slot to be given back.
    cover(kRegistryWait);
    model::wait(&a.registry_changed, model::kNoTimer, false, false, "a lock being destroyed (registry)");
  }
  const std::string name = options.name;
  std::shared_ptr<ProcessLock> created(new ProcessLock(options), [proc, name](ProcessLock* lock) {
    delete lock;  // the slot is given back
    --g_live_locks;
    App& a = *g_apps[proc];
    auto it = a.locks.find(name);
    if (it != a.locks.end() && it->second.expired()) a.locks.erase(it);
    model::notify(&a.registry_changed);
  });
  ++g_live_locks;
  a.locks[name] = created;
  return created;
}

void lock_became_active(const std::shared_ptr<ProcessLock>& lock) {
  app().active.emplace_back(lock.get(), lock);
}

void lock_became_idle(const ProcessLock* lock) {
  auto& active = app().active;
  for (auto it = active.begin(); it != active.end();) {
    it = it->first == lock || it->second.expired() ? active.erase(it) : std::next(it);
  }
}

void serve_active_locks() {
  std::vector<std::shared_ptr<ProcessLock>> locks;
  for (auto& entry : app().active) {
    if (auto p = entry.second.lock()) locks.push_back(std::move(p));
  }
  for (auto& lock : locks) lock->serve_ready();
  model::inert_region([&] { locks.clear(); });
}

}  // namespace interlock

namespace {

// ---- explorers --------------------------------------------------------------------------------

std::string encode_path(const std::vector<size_t>& path) {
  std::string out;
  for (size_t i = 0; i < path.size();) {
    if (!out.empty()) out += ',';
    if (path[i] == 0) {
      size_t j = i;
      while (j < path.size() && path[j] == 0) ++j;
      out += std::to_string(j - i) + "z";
      i = j;
    } else {
      out += std::to_string(path[i++]);
    }
  }
  return out.empty() ? "-" : out;
}

std::vector<size_t> decode_path(const std::string& s) {
  std::vector<size_t> path;
  std::stringstream in(s);
  std::string tok;
  while (std::getline(in, tok, ',')) {
    if (tok.empty() || tok == "-") continue;
    if (tok.back() == 'z') {
      path.insert(path.end(), std::stoul(tok.substr(0, tok.size() - 1)), 0);
    } else {
      path.push_back(std::stoul(tok));
    }
  }
  return path;
}

struct Record {
  std::vector<std::pair<int, int>> costs;  // per alternative: preemptions, crashes
  size_t chosen;
};

// Follows a prefix, then takes alternative 0 (no preemption). DFS over the records, bounded by
// preemptions and crashes, as in CHESS.
class DfsExplorer : public model::Explorer {
 public:
  DfsExplorer(int preemptions, int crashes) : max_p_(preemptions), max_c_(crashes) {}
  void start(std::vector<size_t> prefix) {
    prefix_ = std::move(prefix);
    records_.clear();
  }
  size_t choose(const std::vector<Alt>& alts) override {
    size_t pos = records_.size();
    size_t k = pos < prefix_.size() ? prefix_[pos] : 0;
    if (k >= alts.size()) {
      diverged = true;
      k = 0;
    }
    Record r{{}, k};
    for (const Alt& a : alts) r.costs.emplace_back(a.preempt_cost, a.crash_cost);
    records_.push_back(std::move(r));
    return k;
  }
  std::vector<size_t> path() const {
    std::vector<size_t> p;
    for (const Record& r : records_) p.push_back(r.chosen);
    return p;
  }
  // The next prefix to run, or false when the bounded space is exhausted.
  bool next(std::vector<size_t>& prefix) const {
    std::vector<int> used_p(records_.size() + 1, 0), used_c(records_.size() + 1, 0);
    for (size_t i = 0; i < records_.size(); ++i) {
      used_p[i + 1] = used_p[i] + records_[i].costs[records_[i].chosen].first;
      used_c[i + 1] = used_c[i] + records_[i].costs[records_[i].chosen].second;
    }
    for (size_t i = records_.size(); i-- > 0;) {
      const Record& r = records_[i];
      for (size_t j = r.chosen + 1; j < r.costs.size(); ++j) {
        if (used_p[i] + r.costs[j].first <= max_p_ && used_c[i] + r.costs[j].second <= max_c_) {
          prefix.clear();
          for (size_t x = 0; x < i; ++x) prefix.push_back(records_[x].chosen);
          prefix.push_back(j);
          return true;
        }
      }
    }
    return false;
  }
  bool diverged = false;

 private:
  int max_p_, max_c_;
  std::vector<size_t> prefix_;
  std::vector<Record> records_;
};

// Random schedules: mostly keeps the running thread, sometimes switches (or fires a timer, aborts,
// crashes), within the bounds.
class RandomExplorer : public model::Explorer {
 public:
  RandomExplorer(uint64_t seed, int preemptions, int crashes, int pct)
      : rng_(seed), max_p_(preemptions), max_c_(crashes), pct_(pct) {}
  void start() {
    path_.clear();
    used_p_ = used_c_ = 0;
  }
  size_t choose(const std::vector<Alt>& alts) override {
    size_t k = 0;
    if (alts.size() > 1 && std::uniform_int_distribution<int>(0, 99)(rng_) < pct_) {
      std::vector<size_t> ok;
      for (size_t i = 0; i < alts.size(); ++i) {
        if (used_p_ + alts[i].preempt_cost <= max_p_ && used_c_ + alts[i].crash_cost <= max_c_) ok.push_back(i);
      }
      k = ok[std::uniform_int_distribution<size_t>(0, ok.size() - 1)(rng_)];
    }
    used_p_ += alts[k].preempt_cost;
    used_c_ += alts[k].crash_cost;
    path_.push_back(k);
    return k;
  }
  const std::vector<size_t>& path() const { return path_; }

 private:
  std::mt19937_64 rng_;
  int max_p_, max_c_, pct_;
  int used_p_ = 0, used_c_ = 0;
  std::vector<size_t> path_;
};

// ---- one execution ----------------------------------------------------------------------------

struct Outcome {
  std::string failure;
  uint64_t decisions = 0;
  uint64_t spin_yields = 0;
  int slices = 0;  // slice timeouts the survivors needed after a crash
  unsigned covered = 0;
};

// At the end, before teardown: the shared state the finished (and dead) processes left behind.
std::string quiescence_failure(const Scenario& sc) {
  auto& w = world();
  model::SharedView v = model::view();
  uint32_t writer = state::writer_slot_plus_one(v.state);
  for (size_t i = 0; i < v.owners.size(); ++i) {
    uint64_t owner = v.owners[i];
    std::string slot = "slot " + std::to_string(i);
    if (owner != 0 && model::key_alive(owner)) {
      return slot + " is still claimed by a live process that closed the lock (a slot never given back)";
    }
    if (owner != 0) continue;  // a dead process's, or one its recoverer died in
    if (v.flags[i] != 0) return "free " + slot + " has waiting flags " + std::to_string(v.flags[i]);
    if (v.readers >> i & 1) return "free " + slot + " has its reader bit set (a writer would wait for it forever)";
    if (writer == i + 1) return "the writer field names free " + slot;
  }
  if (w.crashes == 0) {
    // Without a crash the lock must be free with no writers-waiting bit left (a stale one turns the
    // next reader away from the fast path and parks it with nobody to wake it).
    if (writer != 0) return "quiescent, yet the lock has a writer";
    if (v.state & state::kWritersWaiting) return "quiescent, yet a stale writers-waiting bit is left";
    if (v.readers != 0) return "quiescent, yet reader bits are left";
  }
  (void)sc;
  return "";
}

Outcome run_one(const Scenario& sc, model::Explorer& ex, bool trace, int max_crashes) {
  auto& w = world();
  w.actors.clear();
  w.procs.clear();
  w.watches.clear();
  g_envs.clear();
  g_apps.clear();
  g_live_locks = 0;
  g_covered = 0;
  for (size_t i = 0; i < sc.actors.size(); ++i) {
    const Script& script = sc.actors[i];
    auto e = std::make_unique<Env>();
    e->proc = script.worker_of >= 0 ? script.worker_of : static_cast<int>(i);
    e->name = pname(e->proc) + (script.worker_of >= 0 ? ".worker" : "");
    e->sink = std::make_shared<ModelSink>(static_cast<int>(i));
    g_envs.push_back(std::move(e));
    if (script.worker_of >= 0) continue;
    auto p = std::make_unique<model::Process>();
    p->id = static_cast<int>(i);
    p->key = (uint64_t{0xA0} + i) << 32 | (1000 + i);
    p->crashable = script.crashable;
    p->bell = script.bell;
    p->spawn_failures = script.spawn_failures;
    w.procs.push_back(std::move(p));
    g_apps.push_back(std::make_unique<App>());
  }
  w.current = -1;
  w.done = false;
  w.failure.clear();
  w.explorer = &ex;
  w.limits.max_crashes = max_crashes;
  w.limits.max_slices = sc.max_slices;
  w.crashes = w.slices = 0;
  w.expect_poison = false;
  w.spin_yields = 0;
  w.decisions = 0;
  w.clock_ms = 1000;
  w.trace = trace;
  model::g_tracing = trace;
  w.trace_lines.clear();
  w.state_hashes.clear();
  w.model_holds = sc.holds;

  // Handles that are open before the explored run starts (unexplored setup).
  std::vector<model::JsThread> threads;
  for (size_t i = 0; i < sc.actors.size(); ++i) {
    const int env = static_cast<int>(i);
    if (!sc.actors[i].join_late) {
      model::set_setup_process(g_envs[env]->proc);
      Js(env, sc).open();
      model::set_setup_process(-1);
    }
    threads.push_back({g_envs[env]->proc, g_envs[env]->name, [&sc, env] { Js(env, sc).run(sc.actors[env]); }});
  }
  Outcome out;
  model::run_execution(threads, [&] {
    if (w.failure.empty()) {
      std::string why = quiescence_failure(sc);
      if (!why.empty()) {
        w.failure = why + "\n" + model::describe_world();
        model::note("VIOLATION at the end: " + why);
      }
    }
  });
  out.failure = w.failure;
  out.decisions = w.decisions;
  out.spin_yields = w.spin_yields;
  out.slices = w.slices;
  if (w.crashes > 0) cover(kCrash);
  out.covered = g_covered;
  // What the torn-down processes still hold (their locks' last references) goes now.
  for (auto& e : g_envs) {
    e->completions.clear();
    e->lock.reset();
  }
  if (g_live_locks != 0 && out.failure.empty()) {
    out.failure = std::to_string(g_live_locks) + " ProcessLock(s) outlived the run (a reference cycle or leak)";
  }
  g_envs.clear();
  g_apps.clear();
  w.watches.clear();
  w.actors.clear();
  w.procs.clear();
  model::reset_platform();
  return out;
}

// ---- drivers of the search --------------------------------------------------------------------

struct Stats {
  uint64_t executions = 0;
  uint64_t decisions = 0;
  bool exhausted = false;
  uint64_t spinning = 0;  // schedules in which a waiter spun (parks returning at once, 3 in a row)
  std::string spin_path;  // the first of them
  uint64_t sliced = 0;     // schedules in which the survivors of a crash needed a slice timeout
  std::string slice_path;  // the first of them
  std::unordered_set<uint64_t> states;
  uint64_t covered[kCoveredCount] = {};  // schedules that went through each path
};

const Scenario* find_scenario(const std::string& name) {
  static std::vector<Scenario> all = scenarios();
  for (const Scenario& s : all) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

int report_failure(const Scenario& sc, const std::string& failure, const std::vector<size_t>& path, int crashes,
                   const std::string& how, uint64_t executions) {
  std::printf("VIOLATION in scenario %s (%s, after %llu schedules): %s\n", sc.name, how.c_str(),
              static_cast<unsigned long long>(executions), failure.c_str());
  std::string p = encode_path(path);
  std::string extra = crashes != sc.crashes ? " " + std::to_string(crashes) : "";
  std::printf("choice path: %s\nreplay: model_check replay %s %s%s\n", p.c_str(), sc.name, p.c_str(), extra.c_str());
  // Replay with the trace on.
  DfsExplorer ex(1 << 20, crashes);
  ex.start(path);
  Outcome o = run_one(sc, ex, true, crashes);
  std::printf("---- schedule (%zu steps) ----\n", world().trace_lines.size());
  for (const std::string& line : world().trace_lines) std::printf("  %s\n", line.c_str());
  std::printf("---- replay %s ----\n", o.failure == failure ? "reproduced the violation" : "DID NOT reproduce it");
  std::fflush(stdout);
  return 1;
}

using Clock = std::chrono::steady_clock;

void account(Stats& st, const Outcome& o, const std::vector<size_t>& path) {
  ++st.executions;
  st.decisions += o.decisions;
  for (uint64_t h : world().state_hashes) st.states.insert(h);
  if (o.spin_yields && !st.spinning++) st.spin_path = encode_path(path);
  if (o.slices && !st.sliced++) st.slice_path = encode_path(path);
  for (unsigned c = 0; c < kCoveredCount; ++c) st.covered[c] += o.covered >> c & 1;
}

int explore_dfs(const Scenario& sc, int preemptions, int crashes, double seconds, Stats& st) {
  DfsExplorer ex(preemptions, crashes);
  std::vector<size_t> prefix;
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    ex.start(prefix);
    Outcome o = run_one(sc, ex, false, crashes);
    account(st, o, ex.path());
    if (!o.failure.empty()) {
      return report_failure(sc, o.failure, ex.path(), crashes, "dfs, preemption bound " + std::to_string(preemptions),
                            st.executions);
    }
    if (ex.diverged) {
      std::printf("nondeterminism: a replayed prefix met different choices\n");
      return 1;
    }
    if (!ex.next(prefix)) {
      st.exhausted = true;
      return 0;
    }
    if (Clock::now() > deadline) return 0;
  }
}

int explore_random(const Scenario& sc, uint64_t seed, uint64_t runs, int preemptions, int crashes, double seconds,
                   Stats& st) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  for (uint64_t i = 0; i < runs; ++i) {
    RandomExplorer ex(seed + i, preemptions, crashes, sc.random_pct);
    ex.start();
    Outcome o = run_one(sc, ex, false, crashes);
    account(st, o, ex.path());
    if (!o.failure.empty()) {
      return report_failure(sc, o.failure, ex.path(), crashes,
                            "random, seed " + std::to_string(seed + i) + ", preemption bound " +
                                std::to_string(preemptions),
                            st.executions);
    }
    if (Clock::now() > deadline) break;
  }
  return 0;
}

void print_stats(const Scenario& sc, const char* how, const Stats& st, double secs) {
  std::printf("%-18s %-30s %7llu schedules %9llu steps %7zu states %s (%.1fs)\n", sc.name, how,
              static_cast<unsigned long long>(st.executions), static_cast<unsigned long long>(st.decisions),
              st.states.size(), st.exhausted ? "exhaustive" : "budget reached", secs);
  std::string covered;
  for (unsigned c = 0; c < kCoveredCount; ++c) {
    if (st.covered[c] == 0 || c == kFastGrant || c == kQueuedGrant) continue;
    covered += (covered.empty() ? "" : ", ") + std::string(kCoveredNames[c]) + " " + std::to_string(st.covered[c]);
  }
  if (!covered.empty()) std::printf("  schedules through: %s\n", covered.c_str());
  if (st.spinning) {
    std::printf("  note: a waiter spun (parks returning at once) in %llu schedules, e.g. replay %s %s\n",
                static_cast<unsigned long long>(st.spinning), sc.name, st.spin_path.c_str());
  }
  if (st.sliced) {
    std::printf("  note: the survivors of a crash needed a slice timeout (recovery waited up to 100 ms) in %llu "
                "schedules, e.g. replay %s %s\n",
                static_cast<unsigned long long>(st.sliced), sc.name, st.slice_path.c_str());
  }
  std::fflush(stdout);
}

int usage() {
  std::fprintf(stderr,
               "usage: model_check ci [seconds] [scenario] | dfs <scenario> <preemptions> [seconds] [crashes] |\n"
               "       random <scenario> <seed> <runs> [preemptions] | replay <scenario> <path> [crashes] | list\n");
  return 2;
}

// One scenario's share of the CI budget: bounded DFS for half of it (what it leaves, when the bounded
// space is exhausted sooner, goes to what follows), then random schedules with 4 more preemptions.
// An exhaustive scenario's DFS runs to the end first.
int ci_scenario(const Scenario& sc, double share, uint64_t& schedules, uint64_t& steps) {
  Stats st;
  auto t0 = Clock::now();
  char how[64];
  std::snprintf(how, sizeof how, "dfs, %d preemption(s)%s", sc.preemptions,
                sc.crashes == 1 ? ", 1 crash" : sc.crashes > 1 ? ", 2 crashes" : "");
  if (explore_dfs(sc, sc.preemptions, sc.crashes, sc.exhaustive ? kExhaustiveCapS : share / 2, st)) return 1;
  double used = std::chrono::duration<double>(Clock::now() - t0).count();
  print_stats(sc, how, st, used);
  schedules += st.executions;
  steps += st.decisions;
  if (used < share) {
    Stats rs;
    auto t1 = Clock::now();
    int p = sc.preemptions + 4;
    std::snprintf(how, sizeof how, "random, %d preemptions, seed 1", p);
    if (explore_random(sc, 1, ~0ull, p, sc.crashes, share - used, rs)) return 1;
    print_stats(sc, how, rs, std::chrono::duration<double>(Clock::now() - t1).count());
    schedules += rs.executions;
    steps += rs.decisions;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  if (cmd == "list") {
    for (const Scenario& s : scenarios()) {
      std::printf("%-18s preemptions %d, crashes %d, %s: %s\n", s.name, s.preemptions, s.crashes,
                  s.holds ? "slot holds" : "liveness table", s.about);
    }
    return 0;
  }
  if (cmd == "ci") {
    double total = argc > 2 ? std::atof(argv[2]) : 30;
    auto all = scenarios();
    double weights = 0;
    for (const Scenario& sc : all) weights += sc.weight;
    uint64_t schedules = 0, steps = 0;
    auto t0 = Clock::now();
    for (const Scenario& sc : all) {
      if (argc > 3 && std::string(argv[3]) != sc.name) continue;
      if (ci_scenario(sc, total * sc.weight / weights, schedules, steps)) return 1;
    }
    std::printf("model check passed: %llu schedules, %llu scheduling steps (%.1fs)\n",
                static_cast<unsigned long long>(schedules), static_cast<unsigned long long>(steps),
                std::chrono::duration<double>(Clock::now() - t0).count());
    return 0;
  }
  if (argc < 4) return usage();
  const Scenario* sc = find_scenario(argv[2]);
  if (!sc) {
    std::fprintf(stderr, "no scenario '%s' (see: model_check list)\n", argv[2]);
    return 2;
  }
  if (cmd == "dfs") {
    int p = std::atoi(argv[3]);
    double secs = argc > 4 ? std::atof(argv[4]) : 1e9;
    int crashes = argc > 5 ? std::atoi(argv[5]) : sc->crashes;
    Stats st;
    auto t0 = Clock::now();
    if (explore_dfs(*sc, p, crashes, secs, st)) return 1;
    print_stats(*sc, "dfs", st, std::chrono::duration<double>(Clock::now() - t0).count());
    return 0;
  }
  if (cmd == "random") {
    if (argc < 5) return usage();
    int p = argc > 5 ? std::atoi(argv[5]) : sc->preemptions + 4;
    Stats st;
    auto t0 = Clock::now();
    if (explore_random(*sc, std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[4], nullptr, 10), p, sc->crashes,
                       1e9, st))
      return 1;
    print_stats(*sc, "random", st, std::chrono::duration<double>(Clock::now() - t0).count());
    return 0;
  }
  if (cmd == "replay") {
    int crashes = argc > 4 ? std::atoi(argv[4]) : sc->crashes;  // the crash bound shapes the choices
    DfsExplorer ex(1 << 20, crashes);
    ex.start(decode_path(argv[3]));
    Outcome o = run_one(*sc, ex, true, crashes);
    for (const std::string& line : world().trace_lines) std::printf("  %s\n", line.c_str());
    std::printf("%s\n", o.failure.empty() ? "no violation" : ("VIOLATION: " + o.failure).c_str());
    return o.failure.empty() ? 0 : 1;
  }
  return usage();
}
