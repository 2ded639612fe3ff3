// Fault injection for the crash tests (see platform.h). Inert unless INTERLOCK_CRASH_AT (SIGKILL
// there) or INTERLOCK_STALL_AT (SIGSTOP there, until someone sends SIGCONT) is set.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "platform/platform.h"

namespace interlock::platform {
namespace {

struct FaultPlan {
  std::string point;
  long hit = 1;
  std::atomic<long> seen{0};
};

// "<point>" or "<point>:<n>" (the n-th time the point is reached; default the first).
FaultPlan* plan_from(const char* variable) {
  const char* env = std::getenv(variable);
  if (env == nullptr || *env == '\0') return nullptr;
  auto* c = new FaultPlan();
  std::string spec(env);
  auto colon = spec.find(':');
  c->point = spec.substr(0, colon);
  if (colon != std::string::npos) c->hit = std::atol(spec.c_str() + colon + 1);
  return c;
}

bool due(FaultPlan* p, const char* point) {
  return p != nullptr && p->point == point && p->seen.fetch_add(1) + 1 == p->hit;
}

}  // namespace

void crash_point(const char* point) {
  static FaultPlan* crash = plan_from("INTERLOCK_CRASH_AT");
  static FaultPlan* stall = plan_from("INTERLOCK_STALL_AT");
  if (crash == nullptr && stall == nullptr) return;
  if (due(stall, point)) ::kill(::getpid(), SIGSTOP);  // a process the scheduler never runs again, until SIGCONT
  if (!due(crash, point)) return;
  ::kill(::getpid(), SIGKILL);
  ::pause();
}

}  // namespace interlock::platform
