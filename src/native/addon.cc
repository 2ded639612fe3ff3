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

// setCallbacks(dispatch, makeError)
Napi::Value set_callbacks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction() || !info[1].IsFunction()) throw invalid_arg(env, "setCallbacks needs two functions");
  auto ctx = EnvContext::of(env);
  ctx->dispatch = Napi::Persistent(info[0].As<Napi::Function>());
  ctx->make_error = Napi::Persistent(info[1].As<Napi::Function>());
  return env.Undefined();
}

// unlink(kind (0 memory, 1 lock, 2 event), name, global): true if a name was removed.
Napi::Value unlink_object(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double kind = number_arg(info, 0, "kind");
  ObjectKind k = kind == 1 ? ObjectKind::kLock : kind == 2 ? ObjectKind::kEvent : ObjectKind::kMemory;
  std::string os_name = os_object_name(k, name_arg(info, 1));
  Scope scope = scope_arg(info, 2);
  return Napi::Boolean::New(env, guarded(env, [&] { return platform::Segment::unlink(os_name, scope); }));
}

// objectSize(kind, name, global): the byte size of an existing object's segment, or null when there is
// no such object. Opens without creating: for tools that look at objects others made (the CLI).
Napi::Value object_size(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double kind = number_arg(info, 0, "kind");
  ObjectKind k = kind == 1 ? ObjectKind::kLock : kind == 2 ? ObjectKind::kEvent : ObjectKind::kMemory;
  platform::SegmentOptions o;
  o.os_name = os_object_name(k, name_arg(info, 1));
  o.scope = scope_arg(info, 2);
  o.create = platform::CreateMode::kOpenOnly;
  o.read_only = true;
  try {
    return Napi::Number::New(env, static_cast<double>(platform::Segment::open(o)->size()));
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return env.Null();
    throw to_js_error(env, e);
  }
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  EnvContext::install(env);
  exports.Set("setCallbacks", Napi::Function::New<set_callbacks>(env, "setCallbacks"));
  exports.Set("unlink", Napi::Function::New<unlink_object>(env, "unlink"));
  exports.Set("objectSize", Napi::Function::New<object_size>(env, "objectSize"));
  exports.Set("peekLock", Napi::Function::New<peek_lock>(env, "peekLock"));
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
