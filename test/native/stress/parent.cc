// The parent of the stress test, a single thread that forks, watches, kills and reaps: spawning
// children (some with a stall point), killing them (SIGSTOP, a look at what they hold in the
// segment, SIGKILL), replacing them, and the watcher's tick: the idle-gap watch (requests waiting,
// the lock free, no progress), the recovery time after a writer's kill, slot reuse. It touches no
// process key, bell or lock before the last fork (those are per-process statics a child would inherit).
#include "parent.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "child.h"

namespace interlock::stress {

std::mt19937_64 prng;
const LockLayout* seg = nullptr;
std::vector<std::string> failures;
Stats st;
uint64_t last_kill_us = 0;
uint64_t recovery_kill_us = 0;
uint64_t respawn_at[kMaxChildren] = {};
std::vector<std::string> kill_log;
uint64_t spawned_us[kMaxChildren + 1] = {};
bool children_may_end = false;

namespace {

// What a stopped (or dead) child held, from its slot(s) in the segment. Several slots carry its key
// when it was stopped while recovering a dead process's slot.
struct Holds {
  int slots = 0;
  bool writer = false, active = false, reader = false, waiting = false;
  KillClass klass() const {
    if (writer) return active ? kInWriteK : kDrainingK;
    if (reader) return kReadingK;
    if (waiting) return kWaitingK;
    return kOtherK;
  }
};

Holds holds_of(pid_t pid) {
  Holds h;
  if (seg == nullptr) return h;
  uint32_t s = seg->state.word.load();
  uint32_t slots = seg->header.slot_count;
  for (uint32_t i = 0; i < slots; ++i) {
    const Slot& sl = seg->slots[i];
    if (static_cast<pid_t>(sl.owner.load() & 0xffffffffu) != pid) continue;
    ++h.slots;
    if (state::writer_slot_plus_one(s) == i + 1) {
      h.writer = true;
      h.active = s & state::kActive;
    }
    if (seg->readers.words[i / 64].load() >> (i % 64) & 1) h.reader = true;
    if (sl.flags.load() != 0) h.waiting = true;
  }
  return h;
}

std::vector<bool> slot_used;
bool slot_counted[kMaxChildren + 1] = {};

void describe_exit(int status, char* buf, size_t n) {
  if (WIFEXITED(status)) {
    std::snprintf(buf, n, "exit code %d", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    std::snprintf(buf, n, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  } else {
    std::snprintf(buf, n, "status %#x", status);
  }
}

// Idle watch: requests waiting, nobody inside, the segment free, no progress.
struct GapWatch {
  bool in_gap = false;
  bool kill_gap = false;
  void sample() {
    uint64_t now = now_us();
    int waiting = 0, inside = 0;
    for (int p = 0; p <= cfg.children; ++p) {
      ChildRec& c = g->child[p];
      uint32_t s = c.state.load();
      if (s != kReady && s != kStarting) continue;
      for (auto& t : c.t) {
        waiting += t.waiting.load() != 0;
        inside += t.inside.load() != kOut;
      }
    }
    bool busy = inside > 0;
    if (seg != nullptr) {
      uint32_t s = seg->state.word.load();
      busy |= state::writer_slot_plus_one(s) != 0 && (s & state::kActive);
      for (uint32_t w = 0; w < (seg->header.slot_count + 63) / 64; ++w) busy |= seg->readers.words[w].load() != 0;
    }
    uint64_t last = std::max(g->last_progress_us.load(), last_kill_us);
    uint64_t gap = now > last ? now - last : 0;
    if (waiting == 0 || busy || gap < 50000) {
      in_gap = false;
      return;
    }
    if (!in_gap) {
      in_gap = true;
      // Right after a kill (nothing happened since, or only just): the recovery's time.
      kill_gap = last_kill_us != 0 && last - last_kill_us < 100000;
      (kill_gap ? st.long_kill_gaps : st.long_gaps)++;
    }
    uint64_t& max = kill_gap ? st.max_kill_gap_us : st.max_idle_gap_us;
    if (gap > max) max = gap;
  }
} gaps;

void watch_recovery() {
  if (recovery_kill_us == 0) return;
  uint64_t first = g->first_grant_us.load();
  if (first == 0) return;
  uint64_t took = first > recovery_kill_us ? first - recovery_kill_us : 0;
  st.max_recovery_us = std::max(st.max_recovery_us, took);
  ++st.recoveries;
  recovery_kill_us = 0;
}

void note_slots() {
  for (int p = 0; p <= cfg.children; ++p) {
    ChildRec& c = g->child[p];
    if (slot_counted[p] || c.state.load() != kReady) continue;
    int s = c.slot.load();
    if (s < 0 || s >= static_cast<int>(slot_used.size())) continue;
    if (slot_used[s]) ++st.slot_reuses;
    slot_used[s] = true;
    slot_counted[p] = true;
  }
}

void respawn_due() {
  uint64_t now = now_us();
  for (int p = 0; p < cfg.children; ++p) {
    if (respawn_at[p] == 0 || now < respawn_at[p] || g->phase.load() == kStop) continue;
    respawn_at[p] = 0;
    spawn(p, kNormal);
    if (g->phase.load() == kRun && prng() % 5 == 0 && g->child[p].pid.load() != 0) {
      sleep_us(prng() % 800);  // killed while it opens the lock (or soon after)
      kill_child(p);
      respawn_at[p] = now_us() + prng() % 30000;
    }
  }
}

}  // namespace

void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string text = format(fmt, ap);
  va_end(ap);
  failures.push_back(text);
  say("FAIL: %s | %s", text.c_str(), describe(seg).c_str());
}

void spawn(int pos, Role role) {
  ChildRec& c = g->child[pos];
  for (auto& t : c.t) {
    t.inside = kOut;
    t.waiting = 0;
    t.done = 0;
    t.try_only = 0;
    t.last_success_us = 0;
    t.longest_try_wait_us = 0;
  }
  c.role = role;
  c.threads = static_cast<uint32_t>(cfg.threads);
  c.t[cfg.threads - 1].try_only = role == kNormal ? 1 : 0;  // one try-only thread per normal child
  c.bell = prng() % 3 != 0 ? 1 : 0;
  st.bell_spawns += c.bell.load();
  c.slot = -1;
  c.holding = 0;
  c.pid = 0;
  c.stall_point = -1;
  if (role == kNormal && g->phase.load() == kRun && prng() % 3 == 0) {
    int point = static_cast<int>(prng() % kStallPointCount);
    c.stall_point = point;
    c.stall_hit = 1 + static_cast<uint32_t>(prng() % kStallPoints[point].max_hit);
    ++st.stall_spawns;
  }
  spawned_us[pos] = now_us();
  c.state = kStarting;
  slot_counted[pos] = false;
  uint64_t seed = cfg.seed * 1000003 + static_cast<uint64_t>(++st.spawns);
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    fail("fork: %s", std::strerror(errno));
    c.state = kFree;
    return;
  }
  if (pid == 0) child_main(pos, seed);
  c.pid = pid;
}

// Children that stopped themselves at their stall point: killed (and replaced while the run goes
// on). Children that ended without being killed: only at the end, with code 0.
void reap_unexpected() {
  const bool expected_done = children_may_end;
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED);
    if (pid <= 0) return;
    for (int pos = 0; pos <= cfg.children; ++pos) {
      ChildRec& c = g->child[pos];
      if (c.pid.load() != pid) continue;
      if (WIFSTOPPED(status)) {
        int point = c.stall_point.load();
        if (point < 0) {
          fail("child %d (pid %d) stopped by itself (signal %d) with no stall point", pos, pid, WSTOPSIG(status));
        } else {
          ++st.stall_kills;
          ++st.stalled_at[point];
        }
        kill_child(pos, true, true);
        if (pos < cfg.children && g->phase.load() != kStop) respawn_at[pos] = now_us() + prng() % 30000;
        break;
      }
      bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && c.state.load() == kDone;
      if (!expected_done || !clean) {
        char how[96];
        describe_exit(status, how, sizeof how);
        fail("child %d (pid %d) ended by itself: %s", pos, pid, how);
      }
      for (auto& t : c.t) {
        t.inside = kOut;
        t.waiting = 0;
      }
      c.state = kDead;
      c.pid = 0;
    }
  }
}

// SIGSTOP, look, clear its records, SIGKILL, reap. Returns the class of what it held.
KillClass kill_child(int pos, bool count, bool stopped) {
  ChildRec& c = g->child[pos];
  pid_t pid = c.pid.load();
  int status = 0;
  if (!stopped) ::kill(pid, SIGSTOP);  // a child stopped at its stall point may also get here: its report is pending
  if (!stopped && (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))) {
    char how[96];
    describe_exit(status, how, sizeof how);
    fail("child %d (pid %d) ended by itself before it was killed: %s", pos, pid, how);
    c.state = kDead;
    c.pid = 0;
    return kOtherK;
  }
  if (count && c.state.load() == kStarting) ++st.opening_kills;
  Holds h = holds_of(pid);  // stable: the child is stopped, and what it holds nobody else changes
  KillClass k = h.klass();
  if (k == kInWriteK) g->poison_expected.store(1);  // recovery will poison it
  for (auto& t : c.t) {
    t.inside = kOut;
    t.waiting = 0;
  }
  c.state = kDead;
  watch_recovery();            // a grant since the last tick ends the previous measurement
  g->first_grant_us.store(0);  // nobody is granted while it holds the writer field
  uint64_t t = now_us();
  ::kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  c.pid = 0;
  last_kill_us = t;
  char entry[200];
  int point = c.stall_point.load();
  std::snprintf(entry, sizeof entry, "t=%.1fms child %d pid %d: %s%s%s%s", t / 1000.0, pos, pid, kClassNames[k],
                h.slots > 1 ? " (mid-recovery)" : "", stopped ? " at stall point " : "",
                stopped && point >= 0 ? kStallPoints[point].name : "");
  kill_log.push_back(entry);
  if (kill_log.size() > 12) kill_log.erase(kill_log.begin());
  if (std::getenv("STRESS_VERBOSE")) say("kill %s", entry);
  if (!count) return k;
  ++st.kills;
  ++st.by_class[k];
  if (h.slots > 1) ++st.mid_recovery_kills;
  if (h.writer) recovery_kill_us = t;
  return k;
}

// Pick a victim: a child in a wanted state, else any live one (opening ones too).
void hunt_and_kill() {
  KillClass want = static_cast<KillClass>(prng() % kClasses);
  uint64_t until = now_us() + 40000;
  int pos = -1;
  while (pos < 0 && want != kOtherK && now_us() < until) {
    for (int p = 0; p < cfg.children && pos < 0; ++p) {
      ChildRec& c = g->child[p];
      if (c.state.load() != kReady) continue;
      if (holds_of(c.pid.load()).klass() == want) pos = p;
    }
    if (pos < 0) {
      tick();
      sleep_us(200);
    }
  }
  if (pos < 0) {
    std::vector<int> live;
    for (int p = 0; p < cfg.children; ++p) {
      uint32_t s = g->child[p].state.load();
      if (s == kReady || s == kStarting) live.push_back(p);
    }
    if (live.empty()) return;
    pos = live[prng() % live.size()];
  }
  kill_child(pos);
  if (g->phase.load() == kRun) respawn_at[pos] = now_us() + prng() % 30000;  // sometimes others recover first
}

// One tick of the watcher.
void tick() {
  reap_unexpected();
  respawn_due();
  if (seg == nullptr && (seg = map_segment()) != nullptr) slot_used.assign(seg->header.slot_count, false);
  gaps.sample();
  watch_recovery();
  note_slots();
}

}  // namespace interlock::stress
