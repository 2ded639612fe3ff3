// Fault injection for the crash tests (see platform.h). Inert unless INTERLOCK_CRASH_AT is set.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "platform/platform.h"

namespace interlock::platform {
namespace {

struct CrashPlan {
  std::string point;
  long hit = 1;
  std::atomic<long> seen{0};
};

const CrashPlan* plan() {
  static const CrashPlan* p = []() -> const CrashPlan* {
    const char* env = std::getenv("INTERLOCK_CRASH_AT");
    if (env == nullptr || *env == '\0') return nullptr;
    auto* c = new CrashPlan();
    std::string spec(env);
    auto colon = spec.find(':');
    c->point = spec.substr(0, colon);
    if (colon != std::string::npos) c->hit = std::atol(spec.c_str() + colon + 1);
    return c;
  }();
  return p;
}

}  // namespace

void crash_point(const char* point) {
  const CrashPlan* p = plan();
  if (p == nullptr || p->point != point) return;
  if (const_cast<CrashPlan*>(p)->seen.fetch_add(1) + 1 != p->hit) return;
  ::kill(::getpid(), SIGKILL);
  ::pause();
}

}  // namespace interlock::platform
