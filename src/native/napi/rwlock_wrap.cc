#include "napi/rwlock_wrap.h"

#include "async/lock_registry.h"
#include "napi/args.h"
#include "platform/platform.h"

namespace interlock::napi {
namespace {

LockMode mode_arg(const Napi::CallbackInfo& info, size_t i) {
  return number_arg(info, i, "mode") == 1 ? LockMode::kWrite : LockMode::kRead;
}

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
  if (timeout_ms < 0 || std::isinf(timeout_ms)) return kNoDeadline;
  return platform::monotonic_ms() + static_cast<uint64_t>(std::ceil(timeout_ms));
}

Napi::Function RwLockWrap::define(Napi::Env env) {
  return DefineClass(env, "RwLockHandle",
                     {
                         InstanceMethod<&RwLockWrap::acquire>("acquire"),
                         InstanceMethod<&RwLockWrap::try_acquire>("tryAcquire"),
                         InstanceMethod<&RwLockWrap::release>("release"),
                         InstanceMethod<&RwLockWrap::downgrade>("downgrade"),
                         InstanceMethod<&RwLockWrap::mark_consistent>("markConsistent"),
                         InstanceMethod<&RwLockWrap::cancel>("cancel"),
                         InstanceMethod<&RwLockWrap::inspect>("inspect"),
                         InstanceMethod<&RwLockWrap::close>("close"),
                     });
}

// new RwLockHandle(name, maxProcesses, mode, global)
RwLockWrap::RwLockWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RwLockWrap>(info) {
  Napi::Env env = info.Env();
  LockOpenOptions o;
  o.name = name_arg(info, 0);
  o.max_processes = static_cast<uint32_t>(id_arg(info, 1, "maxProcesses"));
  o.mode = static_cast<unsigned>(id_arg(info, 2, "mode"));
  o.scope = scope_arg(info, 3);
  lock_ = guarded(env, [&] { return open_process_lock(o); });
  lock_->attach_owner();
  ctx_ = EnvContext::of(env);
  owner_id_ = next_async_id();
  ctx_->watch(this);
}

RwLockWrap::~RwLockWrap() {
  close_now();
}

void RwLockWrap::close_now() {
  if (!lock_) return;
  uint32_t dropped = lock_->close_owner(owner_id_);
  ctx_->requests_finished(dropped);
  ctx_->unwatch(this);
  lock_.reset();
}

ProcessLock& RwLockWrap::lock(Napi::Env env) {
  if (!lock_) throw to_js_error(env, Error(ErrorCode::kClosed, "the lock handle is closed"));
  return *lock_;
}

// acquire(mode, timeoutMs): > 0 granted (guard token), < 0 queued (-requestId).
Napi::Value RwLockWrap::acquire(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProcessLock& l = lock(env);
  LockMode mode = mode_arg(info, 0);
  double timeout = number_arg(info, 1, "timeout");
  Grant g = l.try_acquire(mode, owner_id_);
  if (g.guard_id != 0) return Napi::Number::New(env, token_of(g));
  uint64_t id = guarded(env, [&] { return l.enqueue(mode, owner_id_, deadline_from_timeout(timeout), ctx_); });
  ctx_->request_started();
  return Napi::Number::New(env, -static_cast<double>(id));
}

Napi::Value RwLockWrap::try_acquire(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProcessLock& l = lock(env);
  return Napi::Number::New(env, token_of(l.try_acquire(mode_arg(info, 0), owner_id_)));
}

Napi::Value RwLockWrap::release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t guard = id_arg(info, 0, "guard");
  if (!lock_) return Napi::Boolean::New(env, false);  // close() already released it
  return Napi::Boolean::New(env, lock_->release(guard));
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
  LockSnapshot s = lock(env).inspect();
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
  return o;
}

Napi::Value RwLockWrap::close(const Napi::CallbackInfo& info) {
  close_now();
  return info.Env().Undefined();
}

}  // namespace interlock::napi
