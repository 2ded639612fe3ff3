#include "napi/named_event_wrap.h"

#include "napi/args.h"

namespace interlock::napi {

Napi::Function NamedEventWrap::define(Napi::Env env) {
  return DefineClass(env, "NamedEventHandle",
                     {
                         InstanceMethod<&NamedEventWrap::set>("set"),
                         InstanceMethod<&NamedEventWrap::reset>("reset"),
                         InstanceMethod<&NamedEventWrap::is_set>("isSet"),
                         InstanceMethod<&NamedEventWrap::manual_reset>("manualReset"),
                         InstanceMethod<&NamedEventWrap::created>("created"),
                         InstanceMethod<&NamedEventWrap::wait>("wait"),
                         InstanceMethod<&NamedEventWrap::cancel>("cancel"),
                         InstanceMethod<&NamedEventWrap::close>("close"),
                     });
}

// new NamedEventHandle(name, manualReset, initialState, mode, global)
NamedEventWrap::NamedEventWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NamedEventWrap>(info) {
  Napi::Env env = info.Env();
  platform::EventOptions o;
  o.os_name = os_object_name(ObjectKind::kEvent, name_arg(info, 0));
  o.manual_reset = info[1].ToBoolean().Value();
  o.initial_state = info[2].ToBoolean().Value();
  o.mode = static_cast<unsigned>(id_arg(info, 3, "mode"));
  o.scope = scope_arg(info, 4);
  waiter_ = guarded_at(env, o.os_name, o.scope, [&] { return std::make_shared<EventWaiter>(platform::NativeEvent::open(o)); });
  ctx_ = EnvContext::of(env);
  ctx_->watch(this);
}

NamedEventWrap::~NamedEventWrap() {
  close_now();
}

void NamedEventWrap::close_now() {
  if (!waiter_) return;
  ctx_->requests_finished(waiter_->cancel_all());
  ctx_->unwatch(this);
  waiter_.reset();
}

EventWaiter& NamedEventWrap::waiter(Napi::Env env) {
  if (!waiter_) throw to_js_error(env, Error(ErrorCode::kClosed, "the event handle is closed"));
  return *waiter_;
}

Napi::Value NamedEventWrap::set(const Napi::CallbackInfo& info) {
  waiter(info.Env()).event().set();
  return info.Env().Undefined();
}

Napi::Value NamedEventWrap::reset(const Napi::CallbackInfo& info) {
  waiter(info.Env()).event().reset();
  return info.Env().Undefined();
}

Napi::Value NamedEventWrap::is_set(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), waiter(info.Env()).event().is_set());
}

Napi::Value NamedEventWrap::manual_reset(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), waiter(info.Env()).event().manual_reset());
}

Napi::Value NamedEventWrap::created(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), waiter(info.Env()).event().created());
}

// wait(timeoutMs): 1 = satisfied now, 0 = timed out now (timeout 0), < 0 = queued (-requestId).
Napi::Value NamedEventWrap::wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EventWaiter& w = waiter(env);
  double timeout = number_arg(info, 0, "timeout");
  if (w.try_now()) return Napi::Number::New(env, 1);
  if (timeout == 0) return Napi::Number::New(env, 0);
  uint64_t id = guarded(env, [&] { return w.enqueue(deadline_from_timeout(timeout), ctx_); });
  ctx_->request_started();
  return Napi::Number::New(env, -static_cast<double>(id));
}

Napi::Value NamedEventWrap::cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t request = id_arg(info, 0, "request");
  if (!waiter_) return Napi::Boolean::New(env, false);
  // true: the wait is over and nothing is consumed for it.
  switch (waiter_->cancel(request)) {
    case EventWaiter::Cancelled::kDequeued:
      ctx_->requests_finished(1);
      return Napi::Boolean::New(env, true);
    case EventWaiter::Cancelled::kSignalReturned:
      return Napi::Boolean::New(env, true);  // its completion still comes, and counts as finished then
    case EventWaiter::Cancelled::kAlreadyComplete:
      break;
  }
  return Napi::Boolean::New(env, false);
}

Napi::Value NamedEventWrap::close(const Napi::CallbackInfo& info) {
  close_now();
  return info.Env().Undefined();
}

}  // namespace interlock::napi
