// Clocks, sleep and randomness on POSIX systems.
#include <fcntl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "core/error.h"
#include "platform/platform.h"

namespace interlock::platform {

uint64_t monotonic_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

uint64_t monotonic_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

uint64_t wall_clock_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

namespace {

// Fills buf from `next` (a getrandom() or read() call); false if it fails for a reason other than EINTR.
template <typename Next>
bool fill(unsigned char* buf, size_t size, Next next) {
  for (size_t got = 0; got < size;) {
    ssize_t n = next(buf + got, size - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      return false;
    }
  }
  return true;
}

}  // namespace

// From the kernel: getrandom() (glibc 2.25), else /dev/urandom (a kernel before 3.17, or a seccomp
// filter that refuses the call). Not std::random_device: libstdc++'s calls arc4random(), which
// needs glibc 2.36, and the prebuilds load on 2.28.
uint64_t random_u64() {
  uint64_t value = 0;
  auto* buf = reinterpret_cast<unsigned char*>(&value);
  if (fill(buf, sizeof value, [](unsigned char* p, size_t n) { return ::getrandom(p, n, 0); })) return value;
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    bool ok = fill(buf, sizeof value, [fd](unsigned char* p, size_t n) { return ::read(fd, p, n); });
    int e = errno;
    ::close(fd);
    if (ok) return value;
    errno = e;
  }
  throw Error(ErrorCode::kSystem, "no random numbers from the kernel (getrandom, /dev/urandom)", errno, "getrandom");
}

void sleep_ms(uint32_t ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = static_cast<long>(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0) {
  }
}

}  // namespace interlock::platform
