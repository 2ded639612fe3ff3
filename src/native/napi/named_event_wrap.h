// The binding's NamedEvent handle.
#pragma once

#include <napi.h>

#include <memory>

#include "async/event_waiter.h"
#include "napi/env_context.h"

namespace interlock::napi {

class NamedEventWrap : public Napi::ObjectWrap<NamedEventWrap>, public EnvTeardownListener {
 public:
  static Napi::Function define(Napi::Env env);
  explicit NamedEventWrap(const Napi::CallbackInfo& info);
  ~NamedEventWrap() override;
  void on_env_teardown() override { close_now(); }

 private:
  Napi::Value set(const Napi::CallbackInfo& info);
  Napi::Value reset(const Napi::CallbackInfo& info);
  Napi::Value is_set(const Napi::CallbackInfo& info);
  Napi::Value manual_reset(const Napi::CallbackInfo& info);
  Napi::Value created(const Napi::CallbackInfo& info);
  Napi::Value wait(const Napi::CallbackInfo& info);
  Napi::Value cancel(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  EventWaiter& waiter(Napi::Env env);
  void close_now();

  std::shared_ptr<EnvContext> ctx_;
  std::shared_ptr<EventWaiter> waiter_;
};

}  // namespace interlock::napi
