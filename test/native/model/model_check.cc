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
//
// Files: scenarios.cc (the scenarios), js_driver.cc (each env's JS thread), model_registry.cc (the
// per-process lock registry), explorers.cc (DFS and random schedules), scheduler.cc and
// sync_points.cc (the baton and the model's primitives), fake_platform.cc; here: one execution
// (run_one), the search drivers and the command line.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/lock_layout.h"
#include "coverage.h"
#include "explorers.h"
#include "js_driver.h"
#include "model.h"
#include "model_registry.h"
#include "scenarios.h"

namespace interlock::model {

namespace {

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
  }
  reset_registries(w.procs.size());
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
      open_env(env, sc);
      model::set_setup_process(-1);
    }
    threads.push_back({g_envs[env]->proc, g_envs[env]->name, [&sc, env] { run_env(env, sc); }});
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
  if (live_process_locks() != 0 && out.failure.empty()) {
    out.failure = std::to_string(live_process_locks()) + " ProcessLock(s) outlived the run (a reference cycle or leak)";
  }
  g_envs.clear();
  clear_registries();
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


// The command line (see the top of this file).
int command(int argc, char** argv) {
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

}  // namespace

}  // namespace interlock::model

int main(int argc, char** argv) {
  return interlock::model::command(argc, argv);
}
