// The clock, the output and the look at the segment, for the parent and the children alike.
#include "shared.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "core/names.h"

namespace interlock::stress {

uint64_t now_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);  // system-wide: comparable across the processes
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

void sleep_us(uint64_t us) {
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(us / 1000000);
  ts.tv_nsec = static_cast<long>(us % 1000000) * 1000L;
  while (nanosleep(&ts, &ts) != 0) {
  }
}

Shared* g = nullptr;
Config cfg;

uint64_t bound_us(double ms) {
  return static_cast<uint64_t>(ms * cfg.scale * 1000);
}

std::string who = "parent";

void say(const char* fmt, ...) {
  char line[2048];
  int n = std::snprintf(line, sizeof line, "[%s] ", who.c_str());
  va_list ap;
  va_start(ap, fmt);
  n += std::vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  if (n > static_cast<int>(sizeof line) - 2) n = sizeof line - 2;
  line[n++] = '\n';
  ssize_t ignored = ::write(1, line, static_cast<size_t>(n));
  (void)ignored;
}

std::string format(const char* fmt, va_list ap) {
  char text[1024];
  std::vsnprintf(text, sizeof text, fmt, ap);
  return text;
}

// The raw segment as one line, for failure reports.
std::string describe(const LockLayout* seg) {
  if (seg == nullptr) return "(segment not mapped)";
  using namespace state;
  uint32_t s = seg->state.word.load();
  char buf[256];
  std::snprintf(buf, sizeof buf, "state: writer slot %d%s%s%s%s phase %u;", static_cast<int>(writer_slot_plus_one(s)) - 1,
                (s & kActive) ? " active" : "", (s & kWritersWaiting) ? " writers-waiting" : "",
                (s & kReadersWaiting) ? " readers-waiting" : "", (s & kPoisoned) ? " poisoned" : "", s >> 16);
  std::string out = buf;
  uint32_t slots = std::min<uint32_t>(seg->header.slot_count, kMaxSlots);
  uint64_t reader_bits = seg->readers.words[0].load();
  for (uint32_t i = 0; i < slots; ++i) {
    const Slot& sl = seg->slots[i];
    uint64_t owner = sl.owner.load();
    std::snprintf(buf, sizeof buf, " [%u] pid %u flags %u reads %u%s bell %u q %u/%u;", i,
                  static_cast<unsigned>(owner & 0xffffffffu), sl.flags.load(), sl.read_count.load(),
                  (i < 64 && (reader_bits >> i & 1)) ? " (bit)" : "", sl.bell.load(), sl.waiting_reads.load(),
                  sl.waiting_writes.load());
    out += buf;
  }
  return out;
}

const LockLayout* map_segment() {
  std::string path = "/dev/shm/" + os_object_name(ObjectKind::kLock, cfg.name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st;
  void* p = MAP_FAILED;
  // An extra open file description: its close never touches anyone's slot holds (OFD locks).
  if (::fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(kLockSegmentSize)) {
    p = ::mmap(nullptr, kLockSegmentSize, PROT_READ, MAP_SHARED, fd, 0);
  }
  ::close(fd);
  if (p == MAP_FAILED) return nullptr;
  auto* seg = static_cast<const LockLayout*>(p);
  if (seg->header.magic.load() != kLockMagic) {
    ::munmap(p, kLockSegmentSize);
    return nullptr;
  }
  return seg;
}

}  // namespace interlock::stress
