#include "napi/rwlock_wrap.h"

#include "async/lock_registry.h"
#include "napi/args.h"
#include "platform/platform.h"

namespace interlock::napi {
namespace {

// Guard token: guardId * 2 + abandoned; 0 = not granted.
double token_of(const Grant& g) {
  return g.guard_id == 0 ? 0 : static_cast<double>(g.guard_id) * 2 + (g.abandoned ? 1 : 0);
}

Napi::Object holder_object(Napi::Env env, const HolderInfo& h) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, h.pid));
  o.Set("count", Napi::Number::New(env, h.count));
  if (h.since_ms != 0) o.Set("since", Napi::Number::New(env, static_cast<double>(h.since_ms)));
  o.Set("alive", Napi::Boolean::New(env, h.alive));
  return o;
}

}  // namespace

uint64_t deadline_from_timeout(double timeout_ms) {
  // A century or more (2^64, 1e300, Number.MAX_VALUE, Infinity) waits forever: no cast overflows.
  constexpr double kForeverMs = 100 * 365.25 * 24 * 3600 * 1000;
  if (timeout_ms < 0 || !(timeout_ms < kForeverMs)) return kNoDeadline;
  return platform::monotonic_ms() + static_cast<uint64_t>(std::ceil(timeout_ms));
}

Napi::Function RwLockWrap::define(Napi::Env env) {
  return DefineClass(env, "RwLockHandle",
                     {
                         InstanceMethod<&RwLockWrap::downgrade>("downgrade"),
                         InstanceMethod<&RwLockWrap::mark_consistent>("markConsistent"),
                         InstanceMethod<&RwLockWrap::cancel>("cancel"),
                         InstanceMethod<&RwLockWrap::inspect>("inspect"),
                         InstanceMethod<&RwLockWrap::close>("close"),
                     });
}

// new RwLockHandle(name, maxProcesses (0: any existing count, the default for a new lock), mode, global)
RwLockWrap::RwLockWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RwLockWrap>(info) {
  Napi::Env env = info.Env();
  LockOpenOptions o;
  o.name = name_arg(info, 0);
  uint64_t wanted = id_arg(info, 1, "maxProcesses");
  if (wanted > kMaxSlots) throw invalid_arg(env, "maxProcesses must be an integer from 1 to 1024");
  o.max_processes = wanted == 0 ? kDefaultSlots : static_cast<uint32_t>(wanted);
  o.mode = static_cast<unsigned>(id_arg(info, 2, "mode"));
  o.scope = scope_arg(info, 3);
  std::shared_ptr<ProcessLock> lock = guarded_at(env, os_object_name(ObjectKind::kLock, o.name), o.scope, [&] { return open_process_lock(o); });
  if (wanted != 0 && lock->slot_count() != wanted) {
    throw to_js_error(env, Error(ErrorCode::kIncompatible, "the lock '" + o.name + "' exists with " +
                                                               std::to_string(lock->slot_count()) +
                                                               " process slots, not the " + std::to_string(wanted) +
                                                               " asked for (maxProcesses is fixed by its creator)"));
  }
  lock_ = std::move(lock);
  ctx_ = EnvContext::of(env);
  owner_id_ = next_async_id();
  lock_->attach_owner(owner_id_, ctx_);
  define_fast_path(env, info.This().As<Napi::Object>());
  ctx_->watch(this);
}

RwLockWrap::~RwLockWrap() {
  close_now(false);
}

void RwLockWrap::close_now(bool abandoned) {
  if (!lock_) return;
  uint32_t dropped = lock_->close_owner(owner_id_, abandoned);
  ctx_->requests_finished(dropped);
  ctx_->unwatch(this);
  lock_.reset();
}

ProcessLock& RwLockWrap::lock(Napi::Env env) {
  if (!lock_) throw to_js_error(env, Error(ErrorCode::kClosed, "the lock handle is closed"));
  return *lock_;
}

// acquire(mode, timeout), tryAcquire(mode) and release(guardId) live on each handle object, bound
// to its RwLockWrap by the function's data pointer. The functions are reachable only through the
// handle (src/rwlock.ts never takes them off it), so they never outlive the RwLockWrap their data
// points to.
void RwLockWrap::define_fast_path(Napi::Env env, Napi::Object self) {
  napi_value acquire_fn, try_fn, release_fn;
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_create_function(env, "acquire", NAPI_AUTO_LENGTH, &RwLockWrap::fast_acquire, this, &acquire_fn));
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_create_function(env, "tryAcquire", NAPI_AUTO_LENGTH, &RwLockWrap::fast_try_acquire, this, &try_fn));
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_create_function(env, "release", NAPI_AUTO_LENGTH, &RwLockWrap::fast_release, this, &release_fn));
  self.Set("acquire", Napi::Value(env, acquire_fn));
  self.Set("tryAcquire", Napi::Value(env, try_fn));
  self.Set("release", Napi::Value(env, release_fn));
}

// acquire(mode, timeoutMs): > 0 granted at once (guard token), < 0 queued (-requestId).
napi_value RwLockWrap::fast_acquire(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  void* data = nullptr;
  int32_t mode = -1;
  double timeout = 0;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, &data) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, args[0], &mode) != napi_ok || (mode != 0 && mode != 1) ||
      napi_get_value_double(env, args[1], &timeout) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG", "acquire(mode, timeout) takes two numbers");
    return nullptr;
  }
  auto* self = static_cast<RwLockWrap*>(data);
  LockMode m = mode == 1 ? LockMode::kWrite : LockMode::kRead;
  napi_value out = nullptr;
  try {
    Napi::Env e(env);
    ProcessLock& l = self->lock(e);
    Grant g = guarded(e, [&] { return l.try_acquire(m, self->owner_id_); });
    if (g.guard_id != 0) {
      napi_create_double(env, token_of(g), &out);
      return out;
    }
    uint64_t id = guarded(e, [&] { return l.enqueue(m, self->owner_id_, deadline_from_timeout(timeout), self->ctx_); });
    self->ctx_->request_started();
    napi_create_double(env, -static_cast<double>(id), &out);
  } catch (const Napi::Error& err) {
    err.ThrowAsJavaScriptException();
  }
  return out;
}

// tryAcquire(mode): guard token, 0 if not granted. Never waits.
napi_value RwLockWrap::fast_try_acquire(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  void* data = nullptr;
  int32_t mode = -1;
  if (napi_get_cb_info(env, info, &argc, &arg, nullptr, &data) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, arg, &mode) != napi_ok || (mode != 0 && mode != 1)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG", "mode must be 0 (read) or 1 (write)");
    return nullptr;
  }
  auto* self = static_cast<RwLockWrap*>(data);
  napi_value out = nullptr;
  try {
    Napi::Env e(env);
    ProcessLock& l = self->lock(e);
    Grant g = guarded(e, [&] { return l.try_acquire(mode == 1 ? LockMode::kWrite : LockMode::kRead, self->owner_id_); });
    napi_create_double(env, token_of(g), &out);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  }
  return out;
}

// release(guardId): false if the guard is not held (already released, or released by close()).
napi_value RwLockWrap::fast_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  void* data = nullptr;
  double guard = 0;
  if (napi_get_cb_info(env, info, &argc, &arg, nullptr, &data) != napi_ok || argc < 1 ||
      napi_get_value_double(env, arg, &guard) != napi_ok || !(guard >= 1 && guard < 9007199254740992.0)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG", "guard must be a guard id");
    return nullptr;
  }
  auto* self = static_cast<RwLockWrap*>(data);
  bool released = self->lock_ && self->lock_->release(static_cast<uint64_t>(guard));
  napi_value out = nullptr;
  napi_get_boolean(env, released, &out);
  return out;
}

Napi::Value RwLockWrap::downgrade(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t guard = id_arg(info, 0, "guard");
  guarded(env, [&] { lock(env).downgrade(guard); });
  return env.Undefined();
}

Napi::Value RwLockWrap::mark_consistent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t guard = id_arg(info, 0, "guard");
  guarded(env, [&] { lock(env).mark_consistent(guard); });
  return env.Undefined();
}

Napi::Value RwLockWrap::cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t request = id_arg(info, 0, "request");
  if (!lock_) return Napi::Boolean::New(env, false);
  // true: the request is over and nothing is held for it (its completion, if one is still on its
  // way, only carries a grant that was already given back).
  switch (lock_->cancel(request)) {
    case ProcessLock::Cancelled::kDequeued:
      ctx_->requests_finished(1);
      return Napi::Boolean::New(env, true);
    case ProcessLock::Cancelled::kGrantRevoked:
      return Napi::Boolean::New(env, true);
    case ProcessLock::Cancelled::kAlreadyComplete:
      break;
  }
  return Napi::Boolean::New(env, false);
}

Napi::Value RwLockWrap::inspect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return lock_info_object(env, lock(env).inspect());
}

// peekLock(name, global): an existing lock's state without attaching to it (no slot, no
// recovery), or null if there is no such lock. For inspection tools.
Napi::Value peek_lock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LockOpenOptions o;
  o.name = name_arg(info, 0);
  o.scope = scope_arg(info, 1);
  o.observe = true;
  try {
    RwLockSegment segment(o);
    return lock_info_object(env, segment.inspect());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNotFound) return env.Null();
    throw to_js_error(env, e);
  }
}

Napi::Object lock_info_object(Napi::Env env, const LockSnapshot& s) {
  Napi::Object o = Napi::Object::New(env);
  // A writer that still drains readers is waiting, not holding.
  bool holds = s.has_writer && s.writer_active;
  o.Set("writer", holds ? Napi::Value(holder_object(env, s.writer)) : env.Null());
  Napi::Array readers = Napi::Array::New(env, s.readers.size());
  for (size_t i = 0; i < s.readers.size(); ++i) readers.Set(static_cast<uint32_t>(i), holder_object(env, s.readers[i]));
  o.Set("readers", readers);
  o.Set("waitingReaders", Napi::Number::New(env, s.waiting_reads));
  o.Set("waitingWriters", Napi::Number::New(env, s.waiting_writes));
  Napi::Array waiters = Napi::Array::New(env, s.waiters.size());
  for (size_t i = 0; i < s.waiters.size(); ++i) {
    Napi::Object w = Napi::Object::New(env);
    w.Set("pid", Napi::Number::New(env, s.waiters[i].pid));
    w.Set("readers", Napi::Number::New(env, s.waiters[i].reads));
    w.Set("writers", Napi::Number::New(env, s.waiters[i].writes));
    w.Set("alive", Napi::Boolean::New(env, s.waiters[i].alive));
    waiters.Set(static_cast<uint32_t>(i), w);
  }
  o.Set("waiters", waiters);
  o.Set("abandoned", Napi::Boolean::New(env, s.poisoned));
  o.Set("maxProcesses", Napi::Number::New(env, s.slot_count));
  o.Set("processes", Napi::Number::New(env, s.attached));
  o.Set("liveProcesses", Napi::Number::New(env, s.attached_alive));
  return o;
}

Napi::Value RwLockWrap::close(const Napi::CallbackInfo& info) {
  close_now(false);
  return info.Env().Undefined();
}

}  // namespace interlock::napi
