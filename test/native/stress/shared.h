// The native stress test's shared parts (see main.cc): the MAP_SHARED region made before the first
// fork, through which the parent and its children see each other's records and counts; the run's
// configuration (copied into every child by fork); the clock and output both sides use.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <string>

#include "core/lock_layout.h"

namespace interlock::stress {

constexpr int kMaxChildren = 15;
constexpr int kMaxThreads = 8;

uint64_t now_us();  // CLOCK_MONOTONIC, system-wide: comparable across the processes
void sleep_us(uint64_t us);

enum Phase : uint32_t { kRun = 0, kQuiet = 1, kStop = 2 };
enum ChildState : uint32_t { kFree = 0, kStarting = 1, kReady = 2, kDead = 3, kDone = 4 };
enum Role : uint32_t { kNormal = 0, kVictim = 1 };
enum Inside : uint32_t { kOut = 0, kInRead = 1, kInWrite = 2 };

struct ThreadRec {
  std::atomic<uint32_t> inside;         // Inside: published after the grant, cleared before release
  std::atomic<uint32_t> waiting;        // 1 while a queued request is pending
  std::atomic<uint32_t> done;           // a queueing thread left its loop (quiet phase)
  std::atomic<uint32_t> try_only;
  std::atomic<uint64_t> last_success_us;  // try-only threads
  std::atomic<uint64_t> longest_try_wait_us;
};

struct ChildRec {
  std::atomic<int32_t> pid;
  std::atomic<uint32_t> state;  // ChildState
  std::atomic<uint32_t> role;
  std::atomic<uint32_t> bell;
  std::atomic<int32_t> slot;      // its slot index once open, -1 before
  std::atomic<uint32_t> holding;  // the final victim holds the write lock
  std::atomic<uint32_t> threads;
  std::atomic<int32_t> stall_point;  // index into kStallPoints, -1: none
  std::atomic<uint32_t> stall_hit;
  ThreadRec t[kMaxThreads];
};

// Named fault points of src/ (platform::crash_point): with INTERLOCK_STALL_AT a child stops itself
// (SIGSTOP) the n-th time it gets there, and the parent kills it as it kills any stopped child. So
// some deaths land on the exact protocol steps that matter most: a claim without its activation,
// a release before its wake-ups, a recovery half done. Up to max_hit: rare points die early.
struct StallPoint {
  const char* name;
  uint32_t max_hit;
};
inline constexpr StallPoint kStallPoints[] = {
    {"slot-claimed", 1},     {"reader-published", 60}, {"reader-left", 60},    {"writer-claimed", 40},
    {"writer-active", 40},   {"writer-released", 40},  {"wait-published", 40}, {"recovery-claimed", 2},
    {"recovery-cleaned", 2}, {"stray-claimed", 1},
};
constexpr int kStallPointCount = sizeof kStallPoints / sizeof kStallPoints[0];

struct Shared {
  std::atomic<uint32_t> phase;
  std::atomic<uint32_t> fatal;            // a child found something that ends the run
  std::atomic<uint32_t> poison_expected;  // the parent killed a writer inside; cleared by markConsistent
  std::atomic<uint64_t> last_progress_us;
  std::atomic<uint64_t> first_grant_us;  // the first grant after the latest kill (0 until then)
  std::atomic<uint64_t> grants, try_grants, timeouts, aborts, revoked, downgrades, abandoned_seen, marked_consistent;
  std::atomic<uint64_t> violations, lost, errors, bell_rings, bell_serves, bell_grants, torn_seen;
  std::atomic<uint64_t> data_a, data_b;  // written by writers only, two stores: a kill between tears them
  ChildRec child[kMaxChildren + 1];      // [children]: the final victim
};

extern Shared* g;  // the region, mapped before the first fork

struct Config {
  int children = 4;
  int threads = 3;
  int seconds = 4;
  int write_percent = 30;
  int kill_ms = 150;
  uint64_t seed = 0;
  double scale = 1;
  std::string name;
  pid_t parent = 0;
};
extern Config cfg;  // copied into every child by fork

uint64_t bound_us(double ms);  // a time bound, scaled by STRESS_TIME_SCALE

// Output: write(2) of whole lines (atomic on a pipe), never stdio buffers a kill would lose.
extern std::string who;  // "parent", or "child <pos> pid <pid>"
void say(const char* fmt, ...);
// printf-style text, for the reports that add the segment to it.
std::string format(const char* fmt, va_list ap);

std::string describe(const LockLayout* seg);  // the raw segment as one line, for failure reports
const LockLayout* map_segment();              // the lock's segment, read-only; nullptr if not there (yet)

}  // namespace interlock::stress
