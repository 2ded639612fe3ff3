// No doorbell on this platform: completions reach JavaScript only through the waiter threads.
#include "napi/bell_watch.h"

namespace interlock::napi {

std::unique_ptr<BellWatch> BellWatch::start(napi_env, Callback, void*) {
  return nullptr;
}

}  // namespace interlock::napi
