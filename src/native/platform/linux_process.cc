// Process identity and liveness on Linux: pid plus the start time from /proc/<pid>/stat (field 22,
// clock ticks since boot), so a recycled pid never passes for the process that held a slot.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "platform/linux_process.h"
#include "platform/platform.h"

namespace interlock::platform {
namespace {

enum class StatResult { kOk, kGone, kUnreadable };

// Reads the state letter and start time from a /proc/<pid>/stat file.
StatResult read_stat_file(const char* path, char* state, unsigned long long* start) {
  FILE* f = std::fopen(path, "re");
  if (!f) return errno == ENOENT || errno == ESRCH ? StatResult::kGone : StatResult::kUnreadable;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // comm (field 2) may hold spaces and parentheses: parse from the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return StatResult::kUnreadable;
  p += 2;
  *state = *p;
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return StatResult::kUnreadable;
    ++p;
  }
  *start = std::strtoull(p, nullptr, 10);
  return StatResult::kOk;
}

// Reads the state letter and start time of pid. Zombies count as gone: they hold nothing any more.
StatResult read_stat(uint32_t pid, char* state, unsigned long long* start) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%u/stat", pid);
  return read_stat_file(path, state, start);
}

uint32_t fingerprint(unsigned long long start_ticks) {
  // FNV-1a over the 8 bytes: a 32-bit tag; a collision needs a recycled pid *and* a matching tag.
  uint32_t h = 2166136261u;
  for (int i = 0; i < 8; ++i) {
    h ^= static_cast<uint8_t>(start_ticks >> (8 * i));
    h *= 16777619u;
  }
  return h;
}

uint64_t make_key(uint32_t pid, unsigned long long start) {
  return (static_cast<uint64_t>(fingerprint(start)) << 32) | pid;
}

}  // namespace

uint32_t current_pid() {
  return static_cast<uint32_t>(::getpid());
}

uint64_t current_process_key() {
  static const uint64_t key = [] {
    // /proc/self, not /proc/<getpid()>: in a pid namespace whose /proc was not remounted, getpid()
    // names another process there (pid 1 is the host's init), and two such processes would share
    // one key. /proc/self always is this process. (Keys may still repeat across namespaces: the
    // core recognises its own slot by index, and the kernel's slot holds decide liveness.)
    char state;
    unsigned long long start = 0;
    read_stat_file("/proc/self/stat", &state, &start);  // unreadable /proc: start 0 still gives a stable key
    return make_key(current_pid(), start);
  }();
  return key;
}

bool pid_names_key(uint64_t key) {
  char state;
  unsigned long long start = 0;
  return read_stat(pid_of_key(key), &state, &start) == StatResult::kOk && make_key(pid_of_key(key), start) == key;
}

Liveness process_liveness(uint64_t key) {
  uint32_t pid = pid_of_key(key);
  // No Linux pid is 0 or above PID_MAX_LIMIT (2^22): such a key is garbage (a corrupt segment), and
  // kill() would read it as a process group or as "every process" (-1).
  if (pid == 0 || pid > (1u << 22)) return Liveness::kDead;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return Liveness::kDead;
  // The process exists (kill succeeded, or EPERM: someone else's). If /proc hides it (hidepid) or
  // will not let us read it, its start time cannot be checked: undecidable counts as alive.
  char state = '?';
  unsigned long long start = 0;
  if (read_stat(pid, &state, &start) != StatResult::kOk) return Liveness::kUnknown;
  if (state == 'Z' || state == 'X') return Liveness::kDead;
  return make_key(pid, start) == key ? Liveness::kAlive : Liveness::kDead;
}

}  // namespace interlock::platform
