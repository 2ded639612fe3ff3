// Per-env state (main thread or Worker): the queue of completions and the ThreadSafeFunction that
// brings them from waiter threads to JavaScript (ref'd only while requests are pending), the watch on
// the process's doorbell (a ring lets this thread serve and dispatch at once, one wake-up sooner),
// the JS callbacks handed over at load time, and the handles to close when the env goes away (a
// terminated Worker gives back its holds).
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "async/completion.h"
#include "napi/bell_watch.h"

namespace interlock::napi {

class EnvTeardownListener {
 public:
  virtual ~EnvTeardownListener() = default;
  virtual void on_env_teardown() = 0;
};

class EnvContext final : public CompletionSink {
 public:
  static std::shared_ptr<EnvContext> of(Napi::Env env);
  static void install(Napi::Env env);

  bool deliver(const Completion& completion) override;  // any thread
  void recovered(const std::string& lock_name, const Recovery& recovery) override;  // any thread
  void request_started();                               // JS thread
  void requests_finished(uint32_t count);               // JS thread

  void watch(EnvTeardownListener* listener);
  void unwatch(EnvTeardownListener* listener);

  Napi::FunctionReference dispatch;    // (requestId, status, guardToken) => boolean (taken)
  Napi::FunctionReference make_error;  // (code, message, errno, syscall, path) => Error
  Napi::FunctionReference on_recover;  // (lockName, pid, abandoned) => void

 private:
  static void call_js(napi_env env, napi_value, void* context, void* data);
  static void on_bell(napi_env env, void* context);
  void drain(napi_env env);
  void dispatch_one(napi_env env, const Completion& c);
  static void teardown(void* arg);

  napi_env env_ = nullptr;
  std::mutex mu_;
  napi_threadsafe_function tsfn_ = nullptr;
  std::vector<Completion> queue_;  // guarded by mu_
  struct Recovered {
    std::string lock_name;
    Recovery recovery;
  };
  std::vector<Recovered> recovered_;  // guarded by mu_
  void report_one(napi_env env, const Recovered& r);
  std::unique_ptr<BellWatch> bell_;
  bool alive_ = true;
  uint32_t pending_ = 0;
  std::unordered_set<EnvTeardownListener*> listeners_;
};

}  // namespace interlock::napi
