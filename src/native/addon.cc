// Node-API surface: registers the handle classes and the callbacks the TypeScript layer hands over.
#include <napi.h>

#include "core/names.h"
#include "napi/args.h"
#include "napi/env_context.h"
#include "napi/errors.h"
#include "napi/named_event_wrap.h"
#include "napi/rwlock_wrap.h"
#include "napi/shared_memory_wrap.h"
#include "platform/platform.h"

namespace interlock::napi {
namespace {

// setCallbacks(dispatch, makeError, onRecover)
Napi::Value set_callbacks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction() || !info[1].IsFunction() || !info[2].IsFunction()) {
    throw invalid_arg(env, "setCallbacks needs three functions");
  }
  auto ctx = EnvContext::of(env);
  ctx->dispatch = Napi::Persistent(info[0].As<Napi::Function>());
  ctx->make_error = Napi::Persistent(info[1].As<Napi::Function>());
  ctx->on_recover = Napi::Persistent(info[2].As<Napi::Function>());
  return env.Undefined();
}

// unlink(kind (0 memory, 1 lock, 2 event), name, global): true if a name was removed.
Napi::Value unlink_object(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double kind = number_arg(info, 0, "kind");
  ObjectKind k = kind == 1 ? ObjectKind::kLock : kind == 2 ? ObjectKind::kEvent : ObjectKind::kMemory;
  std::string os_name = os_object_name(k, name_arg(info, 1));
  Scope scope = scope_arg(info, 2);
  return Napi::Boolean::New(env, guarded_at(env, os_name, scope, [&] { return platform::Segment::unlink(os_name, scope); }));
}

// An existing object of (kind, name, global), opened read-only without creating it, for tools that
// look at objects others made (the CLI); null when there is none. Other failures are thrown.
std::unique_ptr<platform::Segment> look_at(const Napi::CallbackInfo& info) {
  double kind = number_arg(info, 0, "kind");
  ObjectKind k = kind == 1 ? ObjectKind::kLock : kind == 2 ? ObjectKind::kEvent : ObjectKind::kMemory;
  platform::SegmentOptions o;
  o.os_name = os_object_name(k, name_arg(info, 1));
  o.scope = scope_arg(info, 2);
  o.create = platform::CreateMode::kOpenOnly;
  o.read_only = true;
  return guarded_at(info.Env(), o.os_name, o.scope, [&]() -> std::unique_ptr<platform::Segment> {
    try {
      return platform::Segment::open(o);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNotFound) return nullptr;
      throw;
    }
  });
}

// objectSize(kind, name, global): the byte size of an existing object's segment, or null when there is
// no such object.
Napi::Value object_size(const Napi::CallbackInfo& info) {
  auto segment = look_at(info);
  if (!segment) return info.Env().Null();
  return Napi::Number::New(info.Env(), static_cast<double>(segment->size()));
}

// objectInUse(kind, name, global): whether a process has the object open for use (true), nobody
// does (false), or there is no such object (null). Where the system cannot tell: true.
Napi::Value object_in_use(const Napi::CallbackInfo& info) {
  auto segment = look_at(info);
  if (!segment) return info.Env().Null();
  return Napi::Boolean::New(info.Env(), segment->users() != platform::Segment::Hold::kFree);
}

// peekEvent(name, global): an existing event's { manualReset, set }, or null; creates and consumes
// nothing. For inspection tools.
Napi::Value peek_event(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string os_name = os_object_name(ObjectKind::kEvent, name_arg(info, 0));
  platform::NativeEvent::State state{};
  bool found = guarded_at(env, os_name, scope_arg(info, 1),
                          [&] { return platform::NativeEvent::peek(os_name, scope_arg(info, 1), &state); });
  if (!found) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("manualReset", Napi::Boolean::New(env, state.manual_reset));
  o.Set("set", Napi::Boolean::New(env, state.set));
  return o;
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  EnvContext::install(env);
  exports.Set("setCallbacks", Napi::Function::New<set_callbacks>(env, "setCallbacks"));
  exports.Set("unlink", Napi::Function::New<unlink_object>(env, "unlink"));
  exports.Set("objectSize", Napi::Function::New<object_size>(env, "objectSize"));
  exports.Set("peekLock", Napi::Function::New<peek_lock>(env, "peekLock"));
  exports.Set("peekEvent", Napi::Function::New<peek_event>(env, "peekEvent"));
  exports.Set("objectInUse", Napi::Function::New<object_in_use>(env, "objectInUse"));
  exports.Set("SharedMemoryHandle", SharedMemoryWrap::define(env));
  exports.Set("NamedEventHandle", NamedEventWrap::define(env));
  exports.Set("RwLockHandle", RwLockWrap::define(env));
  return exports;
}

}  // namespace interlock::napi

static Napi::Object InitInterlock(Napi::Env env, Napi::Object exports) {
  return interlock::napi::init(env, exports);
}

NODE_API_MODULE(interlocked, InitInterlock)
