// Polls this process's doorbell (platform::process_bell_fd()) on one env's event loop and runs a
// callback there, inside a callback scope, whenever it rings: the one-wake-up path of a handoff.
// Linux: bell_watch_uv.cc. Elsewhere there is no bell and start() returns null (bell_watch_none.cc).
#pragma once

#include <node_api.h>

#include <memory>

namespace interlock::napi {

class BellWatch {
 public:
  using Callback = void (*)(napi_env env, void* context);

  // On the JS thread. Null when the process has no bell (the waiter threads still serve it all).
  static std::unique_ptr<BellWatch> start(napi_env env, Callback callback, void* context);
  virtual ~BellWatch() = default;
  // JS thread, at env teardown: no callback runs after this.
  virtual void stop() = 0;
};

}  // namespace interlock::napi
