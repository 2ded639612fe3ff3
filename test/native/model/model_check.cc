// A deterministic interleaving explorer ("loom-style") for the lock protocol: the real portable core
// (src/native/core/rw_lock_segment.cc, unmodified) runs against the fake platform, 2-3 simulated
// processes at a time, each driven like src/native/async/process_lock.cc drives it (fast path,
// advertise, the waiter loop with serve_head, park, deadlines and aborts, recovery after a slice or
// an exit notification). The explorer chooses, at every shared-memory access, which process moves
// next, whether a parked request gives up, and whether a process crashes.
//
// Checked: (a) mutual exclusion: a writer is never inside together with anyone else; (b) no lost
// wake-up: in a run without crashes, a state where every live process is parked with no wake-up
// pending (so only a slice timeout would move anyone) is a failure, and so is a writers-waiting bit
// left behind once everyone is done; (c) with crashes: the survivors all finish, using at most two
// slice timeouts (the intended recovery path), and leave no flags behind.
//
// The model is sequentially consistent: it checks the protocol's logic under all SC interleavings
// within the bounds, not weak-memory effects (every protocol access in the core is seq_cst).
//
// Usage:
//   model_check ci [seconds]                    the CI suite: every scenario within a time budget
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
#include <random>
#include <sstream>
#include <unordered_set>

#include "core/rw_lock_segment.h"
#include "model.h"

using namespace interlock;
using model::Alt;
using model::world;

namespace {

constexpr uint64_t kSliceMs = 100;  // kWaitSliceMs in async/completion.h

// ---- scenarios --------------------------------------------------------------------------------

enum class Mode { kRead, kWrite, kDowngrade };  // downgrade: a write that becomes a read while held
enum class GiveUp { kNever, kTimeout, kAbort };

struct Req {
  Mode mode;
  GiveUp give_up = GiveUp::kNever;
  bool expired = false;
  bool write() const { return mode != Mode::kRead; }
};
using Batch = std::vector<Req>;  // requests one process makes together (queued behind each other)

struct Script {
  std::vector<Batch> batches;
  bool crashable = false;
  bool join_late = false;  // opens the lock inside the explored run (joining runs recover_dead)
};

struct Scenario {
  const char* name;
  const char* about;
  std::vector<Script> actors;
  int preemptions;  // DFS bound in CI
  int crashes;      // 0 or 1
  bool holds;       // model the kernel's slot holds (Linux) or only the liveness table (Windows)
};

Req R(GiveUp g = GiveUp::kNever) {
  return {Mode::kRead, g};
}
Req W(GiveUp g = GiveUp::kNever) {
  return {Mode::kWrite, g};
}
Req D() {
  return {Mode::kDowngrade};
}

std::vector<Scenario> scenarios() {
  using G = GiveUp;
  return {
      {"rw-2",
       "two processes, a write then a read against a read then a write",
       {{{{W()}, {R()}}}, {{{R()}, {W()}}}},
       3,
       0,
       false},
      {"ww-r", "two writers and a reader", {{{{W()}}}, {{{W()}}}, {{{R()}}}}, 2, 0, false},
      {"downgrade", "a downgrading writer, a writer and a reader", {{{{D()}}}, {{{W()}}}, {{{R()}}}}, 2, 0, false},
      {"give-up",
       "a writer, a writer with a deadline and a reader that aborts",
       {{{{W()}}}, {{{W(G::kTimeout)}}}, {{{R(G::kAbort)}}}},
       2,
       0,
       false},
      {"write-then-read",
       "a process queues a write (aborted) then a read behind a writer; another reader",
       {{{{W()}}}, {{{W(G::kAbort), R()}}}, {{{R()}}}},
       2,
       0,
       false},
      {"timeout-then-read",
       "as write-then-read, with a deadline instead of an abort; two processes",
       {{{{W()}, {R()}}}, {{{W(G::kTimeout), R()}}}},
       3,
       0,
       false},
      {"crash-2",
       "two processes, each a write and a read; the first may crash anywhere (liveness table only)",
       {{{{W()}, {R()}}, true}, {{{R()}, {W()}}}},
       2,
       1,
       false},
      {"crash-writer",
       "a writer that may crash anywhere, a reader and a writer (liveness table only)",
       {{{{W()}}, true}, {{{R()}}}, {{{W()}}}},
       1,
       1,
       false},
      {"crash-reader",
       "a reader that may crash anywhere, a writer and a reader (kernel slot holds)",
       {{{{R()}}, true}, {{{W()}}}, {{{R()}}}},
       1,
       1,
       true},
      {"crash-join",
       "a downgrading writer that may crash, a writer, a late joiner that reads",
       {{{{D()}}, true}, {{{W()}}}, {{{R()}}, false, true}},
       1,
       1,
       true},
  };
}

// ---- the driver: one process, as async/process_lock.cc drives the core ------------------------

class ModelProcess {
 public:
  ModelProcess(int id, const LockOpenOptions& o) : id_(id), seg_(o) {
    exit_watch_ = platform::ExitWatch::create([this] {
      blocker_exited_ = true;
      seg_.wake_self();
    });
  }

  uint32_t slot() const { return seg_.slot_index(); }

  void run(const Script& script) {
    for (const Batch& batch : script.batches) {
      for (const Req& r : batch) {
        // try_acquire(): the fast path, only while nothing is queued in this process.
        if (queue_.empty() && (r.write() ? seg_.try_write() : seg_.try_read(1))) {
          grant(r);
        } else {
          enqueue(r);
        }
      }
      if (!queue_.empty()) waiter_main();
      user_work();
    }
  }

 private:
  model::Actor& me() { return *world().actors[id_]; }

  void enqueue(const Req& r) {
    queue_.push_back(r);
    if (queue_.size() == 1) advertise();
  }

  void advertise() {
    if (queue_.front().write()) {
      if (!draining_) draining_ = seg_.claim_writer(/*queue_behind_waiting=*/true);
      if (!draining_) seg_.publish_wait(true);
    } else if (!draining_) {
      seg_.publish_wait(false);
    }
  }

  void grant(const Req& r) {
    granted_.push_back(r);
    me().spins = 0;  // progress: parks that return at once from here on are not a spin
  }

  void requests_removed() {
    if (queue_.empty() || !queue_.front().write()) {
      if (draining_) seg_.abandon_claim();
      draining_ = false;
    }
    if (queue_.empty()) {
      seg_.clear_wait();
    } else {
      advertise();
    }
    seg_.wake_self();
  }

  void expire() {
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [](const Req& r) { return r.expired; }), queue_.end());
  }

  bool serve_head() {
    Req& head = queue_.front();
    if (head.write()) {
      if (!draining_) draining_ = seg_.claim_writer();
      if (!draining_) return !seg_.publish_wait(true);
      if (!seg_.activate_if_drained()) return false;
      draining_ = false;
      seg_.clear_wait();
      grant(head);
      queue_.pop_front();
      return true;
    }
    if (draining_) {
      seg_.abandon_claim();
      draining_ = false;
    }
    uint32_t reads = 0;
    for (const Req& r : queue_) {
      if (r.write()) break;
      ++reads;
    }
    if (!seg_.try_read(reads)) return !seg_.publish_wait(false);
    seg_.clear_wait();
    for (uint32_t i = 0; i < reads; ++i) {
      grant(queue_.front());
      queue_.pop_front();
    }
    return true;
  }

  void waiter_main() {
    uint64_t next_sweep = platform::monotonic_ms() + kSliceMs;
    for (;;) {
      seg_.reset_park();
      expire();
      if (queue_.empty()) {
        if (draining_) seg_.abandon_claim();
        draining_ = false;
        seg_.clear_wait();
        exit_watch_->watch({});
        return;
      }
      if (serve_head()) continue;
      exit_watch_->watch(seg_.blockers(draining_));
      // The waiter lets go of the process mutex to park: the JavaScript side may use and release
      // what was granted meanwhile (a write granted before a queued read of the same process).
      user_work();
      bool can_give_up = false;
      for (const Req& r : queue_) can_give_up |= r.give_up != GiveUp::kNever && !r.expired;
      me().can_give_up = can_give_up;
      seg_.park(static_cast<uint32_t>(kSliceMs));
      me().can_give_up = false;
      if (me().wake == model::Wake::kGiveUp) {
        auto it = std::find_if(queue_.begin(), queue_.end(),
                               [](const Req& r) { return r.give_up != GiveUp::kNever && !r.expired; });
        if (it != queue_.end()) {
          if (it->give_up == GiveUp::kTimeout) {
            it->expired = true;  // expire() drops it at the top of the loop
          } else {               // cancel(): under the mutex while the waiter parks
            queue_.erase(it);
            requests_removed();
          }
        }
      }
      uint64_t now = platform::monotonic_ms();
      bool exited = blocker_exited_;
      blocker_exited_ = false;
      if (exited || now >= next_sweep) {
        seg_.recover_dead();
        next_sweep = now + kSliceMs;
      }
    }
  }

  // The application: enter, hold (a scheduling point), leave, release, for each granted request.
  void user_work() {
    while (!granted_.empty()) {
      Req r = granted_.front();
      granted_.erase(granted_.begin());
      bool abandoned = seg_.poisoned();  // what register_guard() reports as guard.abandoned
      enter(r.write());
      if (world().expect_poison && !abandoned) {
        model::fail("P" + std::to_string(id_) + " was granted after a writer died inside, yet not told abandoned");
      }
      if (r.write() && abandoned) {
        seg_.mark_consistent();
        world().expect_poison = false;
      }
      model::check_point(r.write() ? "holds write" : "holds read");
      if (r.mode == Mode::kDowngrade) {
        me().inside_write = 0;  // from the call on, it only reads
        me().inside_read = 1;
        seg_.downgrade();
        model::check_point("holds read (downgraded)");
      }
      me().inside_read = me().inside_write = 0;
      model::note("P" + std::to_string(id_) + " leaves");
      if (r.mode == Mode::kWrite) {
        seg_.release_write();
      } else {
        seg_.release_read(1);
      }
    }
  }

  void enter(bool write) {
    for (auto& a : world().actors) {
      if (a->id == id_) continue;
      if (a->inside_write || (write && a->inside_read)) {
        model::fail("mutual exclusion: P" + std::to_string(id_) + " enters to " + (write ? "write" : "read") +
                    " while P" + std::to_string(a->id) + " is inside to " + (a->inside_write ? "write" : "read"));
      }
    }
    if (me().inside_write || (write && me().inside_read)) model::fail("mutual exclusion within one process");
    (write ? me().inside_write : me().inside_read) = 1;
    model::note("P" + std::to_string(id_) + " ENTERS to " + (write ? "write" : "read"));
  }

  int id_;
  RwLockSegment seg_;
  std::unique_ptr<platform::ExitWatch> exit_watch_;
  bool blocker_exited_ = false;
  std::deque<Req> queue_;
  std::vector<Req> granted_;
  bool draining_ = false;
};

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

// Random schedules: mostly keeps the running process, sometimes switches, within the bounds.
class RandomExplorer : public model::Explorer {
 public:
  RandomExplorer(uint64_t seed, int preemptions, int crashes) : rng_(seed), max_p_(preemptions), max_c_(crashes) {}
  void start() {
    path_.clear();
    used_p_ = used_c_ = 0;
  }
  size_t choose(const std::vector<Alt>& alts) override {
    size_t k = 0;
    if (alts.size() > 1 && std::uniform_int_distribution<int>(0, 99)(rng_) < 15) {
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
  int max_p_, max_c_;
  int used_p_ = 0, used_c_ = 0;
  std::vector<size_t> path_;
};

// ---- one execution ----------------------------------------------------------------------------

struct Outcome {
  std::string failure;
  uint64_t decisions = 0;
  uint64_t spin_yields = 0;
};

Outcome run_one(const Scenario& sc, model::Explorer& ex, bool trace, int max_crashes) {
  auto& w = world();
  w.actors.clear();
  for (size_t i = 0; i < sc.actors.size(); ++i) {
    auto a = std::make_unique<model::Actor>();
    a->id = static_cast<int>(i);
    a->key = (uint64_t{0xA0} + i) << 32 | (1000 + i);
    a->crashable = sc.actors[i].crashable;
    w.actors.push_back(std::move(a));
  }
  w.current = -1;
  w.done = false;
  w.failure.clear();
  w.explorer = &ex;
  w.limits.max_crashes = max_crashes;
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

  LockOpenOptions o;
  o.name = "model";
  o.max_processes = static_cast<uint32_t>(sc.actors.size());
  std::vector<std::unique_ptr<ModelProcess>> procs(sc.actors.size());
  for (size_t i = 0; i < sc.actors.size(); ++i) {
    if (sc.actors[i].join_late) continue;
    model::set_setup_actor(static_cast<int>(i));
    procs[i] = std::make_unique<ModelProcess>(static_cast<int>(i), o);
    model::set_setup_actor(-1);
  }
  std::vector<std::function<void()>> bodies;
  for (size_t i = 0; i < sc.actors.size(); ++i) {
    bodies.push_back([&, i] {
      if (!procs[i]) {
        model::note("P" + std::to_string(i) + " opens the lock");
        procs[i] = std::make_unique<ModelProcess>(static_cast<int>(i), o);
      }
      procs[i]->run(sc.actors[i]);
    });
  }
  model::run_execution(bodies);

  Outcome out;
  out.failure = w.failure;
  out.decisions = w.decisions;
  out.spin_yields = w.spin_yields;
  if (out.failure.empty()) {
    // Quiescence: every survivor is done. Its slot must show no flags and no reads; with no crash
    // the lock must be free with no writers-waiting bit left (a stale one turns the next reader away
    // from the fast path and parks it with nobody to wake it).
    model::SharedView v = model::view();
    std::string why;
    if (w.crashes == 0 && state::writer_slot_plus_one(v.state) != 0) why = "quiescent, yet the lock has a writer";
    if (w.crashes == 0 && (v.state & state::kWritersWaiting)) {
      why = "quiescent, yet a stale writers-waiting bit is left (the next reader would park with nobody to wake it)";
    }
    for (size_t i = 0; why.empty() && i < procs.size(); ++i) {
      if (w.actors[i]->state != model::ActorState::kFinished || !procs[i]) continue;
      uint32_t slot = procs[i]->slot();
      if (slot < v.flags.size() && v.flags[slot] != 0)
        why = "P" + std::to_string(i) + " finished with waiting flags set";
      if (v.readers >> slot & 1) why = "P" + std::to_string(i) + " finished with its reader bit set";
    }
    if (!why.empty()) out.failure = why + "\n" + model::describe_world();
    if (!out.failure.empty() && w.trace) w.trace_lines.push_back("VIOLATION at the end: " + out.failure);
  }
  procs.clear();
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
  std::unordered_set<uint64_t> states;
};

const Scenario* find_scenario(const std::string& name) {
  static std::vector<Scenario> all = scenarios();
  for (const Scenario& s : all) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

int report_failure(const Scenario& sc, const std::string& failure, const std::vector<size_t>& path, int crashes,
                   const std::string& how) {
  std::printf("VIOLATION in scenario %s (%s): %s\n", sc.name, how.c_str(), failure.c_str());
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

int explore_dfs(const Scenario& sc, int preemptions, int crashes, double seconds, Stats& st) {
  DfsExplorer ex(preemptions, crashes);
  std::vector<size_t> prefix;
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    ex.start(prefix);
    Outcome o = run_one(sc, ex, false, crashes);
    ++st.executions;
    st.decisions += o.decisions;
    for (uint64_t h : world().state_hashes) st.states.insert(h);
    if (o.spin_yields && !st.spinning++) st.spin_path = encode_path(ex.path());
    if (!o.failure.empty()) {
      return report_failure(sc, o.failure, ex.path(), crashes, "dfs, preemption bound " + std::to_string(preemptions));
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
    RandomExplorer ex(seed + i, preemptions, crashes);
    ex.start();
    Outcome o = run_one(sc, ex, false, crashes);
    ++st.executions;
    st.decisions += o.decisions;
    for (uint64_t h : world().state_hashes) st.states.insert(h);
    if (o.spin_yields && !st.spinning++) st.spin_path = encode_path(ex.path());
    if (!o.failure.empty()) {
      return report_failure(sc, o.failure, ex.path(), crashes, "random, seed " + std::to_string(seed + i));
    }
    if (Clock::now() > deadline) break;
  }
  return 0;
}

void print_stats(const Scenario& sc, const char* how, const Stats& st, double secs) {
  std::printf("%-18s %-28s %8llu schedules %10llu steps %7zu states %s (%.1fs)\n", sc.name, how,
              static_cast<unsigned long long>(st.executions), static_cast<unsigned long long>(st.decisions),
              st.states.size(), st.exhausted ? "exhaustive" : "budget reached", secs);
  if (st.spinning) {
    std::printf("  note: a waiter spun (parks returning at once) in %llu schedules, e.g. replay %s %s\n",
                static_cast<unsigned long long>(st.spinning), sc.name, st.spin_path.c_str());
  }
  std::fflush(stdout);
}

int usage() {
  std::fprintf(stderr,
               "usage: model_check ci [seconds] | dfs <scenario> <preemptions> [seconds] [crashes] |\n"
               "       random <scenario> <seed> <runs> [preemptions] | replay <scenario> <path> [crashes] | list\n");
  return 2;
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
    double share = total / static_cast<double>(all.size());
    uint64_t schedules = 0, steps = 0;
    for (const Scenario& sc : all) {
      Stats st;
      auto t0 = Clock::now();
      char how[64];
      std::snprintf(how, sizeof how, "dfs, %d preemption(s)%s", sc.preemptions, sc.crashes ? ", 1 crash" : "");
      if (explore_dfs(sc, sc.preemptions, sc.crashes, share, st)) return 1;
      double used = std::chrono::duration<double>(Clock::now() - t0).count();
      print_stats(sc, how, st, used);
      schedules += st.executions;
      steps += st.decisions;
      if (st.exhausted && used < share) {  // spend what is left on deeper random schedules
        Stats rs;
        auto t1 = Clock::now();
        if (explore_random(sc, 1, ~0ull, sc.preemptions + 4, sc.crashes, share - used, rs)) return 1;
        print_stats(sc, "random, +4 preemptions", rs, std::chrono::duration<double>(Clock::now() - t1).count());
        schedules += rs.executions;
        steps += rs.decisions;
      }
    }
    std::printf("model check passed: %llu schedules, %llu scheduling steps\n",
                static_cast<unsigned long long>(schedules), static_cast<unsigned long long>(steps));
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
