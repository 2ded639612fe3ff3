// The binding's RwLock handle: one per JS RwLock object, sharing the process-wide ProcessLock.
#pragma once

#include <napi.h>

#include <memory>

#include "async/process_lock.h"
#include "napi/env_context.h"

namespace interlock::napi {

// The JS object for a lock's state (RwLockHandle.inspect, peekLock).
Napi::Object lock_info_object(Napi::Env env, const LockSnapshot& snapshot);
Napi::Value peek_lock(const Napi::CallbackInfo& info);

class RwLockWrap : public Napi::ObjectWrap<RwLockWrap>, public EnvTeardownListener {
 public:
  static Napi::Function define(Napi::Env env);
  explicit RwLockWrap(const Napi::CallbackInfo& info);
  ~RwLockWrap() override;
  // The env ends (Worker terminated or failed, process exiting) with guards it never released: a
  // write guard among them is reported to the next holder as abandoned.
  void on_env_teardown() override { close_now(true); }

 private:
  // The fast path's two calls are own functions of each handle, with the handle as their data:
  // no napi_unwrap (a private-property lookup) per call. See define_fast_path().
  static napi_value fast_acquire(napi_env env, napi_callback_info info);
  static napi_value fast_try_acquire(napi_env env, napi_callback_info info);
  static napi_value fast_release(napi_env env, napi_callback_info info);
  void define_fast_path(Napi::Env env, Napi::Object self);
  Napi::Value downgrade(const Napi::CallbackInfo& info);
  Napi::Value mark_consistent(const Napi::CallbackInfo& info);
  Napi::Value cancel(const Napi::CallbackInfo& info);
  Napi::Value inspect(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  ProcessLock& lock(Napi::Env env);
  void close_now(bool abandoned);

  std::shared_ptr<EnvContext> ctx_;
  std::shared_ptr<ProcessLock> lock_;
  uint64_t owner_id_;
};

}  // namespace interlock::napi
