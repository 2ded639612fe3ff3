// The binding's RwLock handle: one per JS RwLock object, sharing the process-wide ProcessLock.
#pragma once

#include <napi.h>

#include <memory>

#include "async/process_lock.h"
#include "napi/env_context.h"

namespace interlock::napi {

class RwLockWrap : public Napi::ObjectWrap<RwLockWrap>, public EnvTeardownListener {
 public:
  static Napi::Function define(Napi::Env env);
  explicit RwLockWrap(const Napi::CallbackInfo& info);
  ~RwLockWrap() override;
  void on_env_teardown() override { close_now(); }

 private:
  Napi::Value acquire(const Napi::CallbackInfo& info);
  Napi::Value try_acquire(const Napi::CallbackInfo& info);
  Napi::Value release(const Napi::CallbackInfo& info);
  Napi::Value downgrade(const Napi::CallbackInfo& info);
  Napi::Value mark_consistent(const Napi::CallbackInfo& info);
  Napi::Value cancel(const Napi::CallbackInfo& info);
  Napi::Value inspect(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  ProcessLock& lock(Napi::Env env);
  void close_now();

  std::shared_ptr<EnvContext> ctx_;
  std::shared_ptr<ProcessLock> lock_;
  uint64_t owner_id_;
};

}  // namespace interlock::napi
