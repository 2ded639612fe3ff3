// The scenarios of the model checker (model_check list), built from a few helpers: R/W/D requests,
// steps (acq, try_only, nap, close_lock, open_lock, close_queued) and script modifiers.
#include "scenarios.h"

#include <cstdlib>
#include <utility>

namespace interlock::model {

namespace {

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

}  // namespace

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

const Scenario* find_scenario(const std::string& name) {
  static std::vector<Scenario> all = scenarios();
  for (const Scenario& s : all) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

}  // namespace interlock::model
