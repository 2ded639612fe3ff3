// Each env's JS thread running its script, as the Node-API layer would: try_acquire, enqueue with
// its CompletionSink, waiting for the completion on its event loop (which also serves doorbell
// rings), settled(), the critical section (where mutual exclusion and poison are checked), release;
// try-only loops with model sleeps; cancel when an abort lands; close_owner and re-open; downgrade;
// mark_consistent after poison; a Worker terminated inside (close_owner(owner, abandoned)).
#include "js_driver.h"

#include <utility>

#include "async/lock_registry.h"
#include "core/error.h"
#include "coverage.h"
#include "model.h"

namespace interlock::model {

std::vector<std::unique_ptr<Env>> g_envs;

std::string pname(int proc) {
  return "P" + std::to_string(proc);
}

bool ModelSink::deliver(const Completion& c) {
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

namespace {

constexpr uint64_t kTimeoutMs = 30;  // a request's timeout: a deadline shorter than the slice
constexpr uint32_t kTryPauseMs = 5;  // a try-only process sleeps this long between tries
constexpr int kMaxTries = 60;        // ... and must get the lock within that many (300 ms of model time)

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

void open_env(int env, const Scenario& sc) {
  Js(env, sc).open();
}

void run_env(int env, const Scenario& sc) {
  Js(env, sc).run(sc.actors[env]);
}

}  // namespace interlock::model
