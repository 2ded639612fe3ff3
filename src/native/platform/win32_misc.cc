// Clocks, sleep, randomness and the crash hook on Windows.
#ifndef _CRT_RAND_S
#define _CRT_RAND_S  // rand_s
#endif
#include <cstdlib>
#include <string>

#include "platform/platform.h"
#include "platform/win32_util.h"

namespace interlock::platform {

namespace {
uint64_t performance_counter_in(uint64_t units_per_second) {
  static const LONGLONG frequency = [] {
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    return f.QuadPart;
  }();
  LARGE_INTEGER now;
  QueryPerformanceCounter(&now);
  return static_cast<uint64_t>(now.QuadPart / frequency * units_per_second +
                               now.QuadPart % frequency * units_per_second / frequency);
}
}  // namespace

uint64_t monotonic_ms() {
  return performance_counter_in(1000);
}
uint64_t monotonic_us() {
  return performance_counter_in(1000000);
}

uint64_t wall_clock_ms() {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  uint64_t t = (static_cast<uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
  return t / 10000 - 11644473600000ULL;  // 100 ns ticks since 1601 -> ms since 1970
}

uint64_t random_u64() {
  unsigned int parts[4];
  for (auto& p : parts) rand_s(&p);
  return (static_cast<uint64_t>(parts[0]) << 48) ^ (static_cast<uint64_t>(parts[1]) << 32) ^
         (static_cast<uint64_t>(parts[2]) << 16) ^ parts[3];
}

void sleep_ms(uint32_t ms) {
  Sleep(ms);
}

void crash_point(const char* point) {
  static const std::string* plan = [] {
    const char* env = std::getenv("INTERLOCK_CRASH_AT");
    return env && *env ? new std::string(env) : nullptr;
  }();
  if (plan == nullptr) return;
  static long hits = 0;
  std::string name = plan->substr(0, plan->find(':'));
  long wanted = plan->find(':') == std::string::npos ? 1 : std::atol(plan->c_str() + plan->find(':') + 1);
  if (name != point || InterlockedIncrement(&hits) != wanted) return;
  TerminateProcess(GetCurrentProcess(), 137);
}

}  // namespace interlock::platform
