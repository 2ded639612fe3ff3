#include "napi/env_context.h"

#include "async/lock_registry.h"

#include <vector>

namespace interlock::napi {

std::shared_ptr<EnvContext> EnvContext::of(Napi::Env env) {
  auto* holder = env.GetInstanceData<std::shared_ptr<EnvContext>>();
  return holder ? *holder : nullptr;
}

void EnvContext::install(Napi::Env env) {
  auto ctx = std::make_shared<EnvContext>();
  ctx->env_ = env;
  napi_value name;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_string_utf8(env, "interlock.completion", NAPI_AUTO_LENGTH, &name));
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr,
                                                                 ctx.get(), &EnvContext::call_js, &ctx->tsfn_));
  // An idle or held lock must not keep the process alive: ref'd only while requests are pending.
  napi_unref_threadsafe_function(env, ctx->tsfn_);
  // Before the cleanup hook below: what the watch registers for the env's teardown runs after that
  // hook (hooks run last-added first).
  ctx->bell_ = BellWatch::start(env, &EnvContext::on_bell, ctx.get());
  env.SetInstanceData(new std::shared_ptr<EnvContext>(ctx));
  NAPI_THROW_IF_FAILED_VOID(
      env, napi_add_env_cleanup_hook(env, &EnvContext::teardown, new std::shared_ptr<EnvContext>(ctx)));
}

namespace {
// The env whose doorbell handler runs on this thread: what it serves is dispatched by that handler
// right after, so its completions need no thread-safe function call (a write to the loop's async
// handle, and one more loop turn to read it).
thread_local const EnvContext* draining_inline = nullptr;
}  // namespace

bool EnvContext::deliver(const Completion& completion) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!alive_) return false;
  queue_.push_back(completion);
  // One call carries every completion queued before it runs.
  if (queue_.size() == 1 && draining_inline != this) {
    napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
  }
  return true;
}

void EnvContext::recovered(const std::string& lock_name, const Recovery& recovery) {
  std::lock_guard<std::mutex> lk(mu_);
  if (!alive_ || recovered_.size() >= 1024) return;  // a report, not a grant: dropping loses nothing held
  recovered_.push_back({lock_name, recovery});
  if (queue_.empty() && recovered_.size() == 1) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
}

void EnvContext::call_js(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // the env is going away
  static_cast<EnvContext*>(context)->drain(env);
}

// The doorbell rang: serve every lock with queued requests here and now, then hand this env its
// completions without waiting for the thread-safe function's own wake-up.
void EnvContext::on_bell(napi_env env, void* context) {
  auto* self = static_cast<EnvContext*>(context);
  {
    struct Inline {
      explicit Inline(const EnvContext* c) { draining_inline = c; }
      ~Inline() { draining_inline = nullptr; }
    } scope(self);
    serve_active_locks();
  }
  self->drain(env);
}

void EnvContext::drain(napi_env env) {
  std::vector<Completion> batch;
  std::vector<Recovered> reports;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (!alive_) return;
    batch.swap(queue_);
    reports.swap(recovered_);
  }
  // Recoveries first: they happened before the grants they made possible.
  for (const Recovered& r : reports) report_one(env, r);
  for (const Completion& c : batch) dispatch_one(env, c);
}

void EnvContext::report_one(napi_env env, const Recovered& r) {
  napi_handle_scope scope;
  if (on_recover.IsEmpty() || napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value args[3], fn, recv, result;
  if (napi_create_string_utf8(env, r.lock_name.c_str(), r.lock_name.size(), &args[0]) == napi_ok &&
      napi_create_uint32(env, r.recovery.pid, &args[1]) == napi_ok &&
      napi_get_boolean(env, r.recovery.abandoned, &args[2]) == napi_ok &&
      napi_get_reference_value(env, on_recover, &fn) == napi_ok && fn != nullptr &&
      napi_get_undefined(env, &recv) == napi_ok) {
    napi_call_function(env, recv, fn, 3, args, &result);
  }
  napi_close_handle_scope(env, scope);
}

void EnvContext::dispatch_one(napi_env env, const Completion& completion) {
  const Completion* c = &completion;
  requests_finished(1);
  bool claimed = false;
  // Raw Node-API only, and nothing that throws: this runs from the event loop, where a C++
  // exception would abort the process, and a terminating Worker may refuse to run JavaScript.
  napi_handle_scope scope;
  if (!dispatch.IsEmpty() && napi_open_handle_scope(env, &scope) == napi_ok) {
    // Guard token: guardId * 2 + abandoned (ids stay far below 2^52).
    double token = c->guard_id == 0 ? 0 : static_cast<double>(c->guard_id) * 2 + (c->abandoned ? 1 : 0);
    napi_value args[3], fn, recv, result;
    if (napi_create_double(env, static_cast<double>(c->request_id), &args[0]) == napi_ok &&
        napi_create_double(env, static_cast<double>(c->status), &args[1]) == napi_ok &&
        napi_create_double(env, token, &args[2]) == napi_ok &&
        napi_get_reference_value(env, dispatch, &fn) == napi_ok && fn != nullptr &&
        napi_get_undefined(env, &recv) == napi_ok && napi_call_function(env, recv, fn, 3, args, &result) == napi_ok) {
      napi_get_value_bool(env, result, &claimed);
    }
    napi_close_handle_scope(env, scope);
  }
  if (c->source) c->source->settled(*c, claimed);
}

void EnvContext::request_started() {
  if (pending_++ == 0 && alive_) napi_ref_threadsafe_function(env_, tsfn_);
}

void EnvContext::requests_finished(uint32_t count) {
  if (count == 0 || pending_ == 0) return;
  pending_ = count >= pending_ ? 0 : pending_ - count;
  if (pending_ == 0 && alive_) napi_unref_threadsafe_function(env_, tsfn_);
}

void EnvContext::watch(EnvTeardownListener* listener) {
  listeners_.insert(listener);
}
void EnvContext::unwatch(EnvTeardownListener* listener) {
  listeners_.erase(listener);
}

void EnvContext::teardown(void* arg) {
  std::unique_ptr<std::shared_ptr<EnvContext>> holder(static_cast<std::shared_ptr<EnvContext>*>(arg));
  EnvContext& self = **holder;
  // Close every handle first: a terminated Worker gives back its holds and cancels its waits.
  std::vector<EnvTeardownListener*> listeners(self.listeners_.begin(), self.listeners_.end());
  for (auto* l : listeners) l->on_env_teardown();
  std::vector<Completion> orphans;
  {
    std::lock_guard<std::mutex> lk(self.mu_);
    self.alive_ = false;
    orphans.swap(self.queue_);
  }
  for (const Completion& c : orphans) {
    if (c.source) c.source->settled(c, false);  // nobody here will take them now
  }
  if (self.bell_) self.bell_->stop();
  napi_release_threadsafe_function(self.tsfn_, napi_tsfn_abort);
  // Raw deletes, status ignored: Reference::Reset() throws on failure, and a C++ exception from a
  // cleanup hook of a terminating Worker would abort the whole process.
  for (Napi::FunctionReference* ref : {&self.dispatch, &self.make_error, &self.on_recover}) {
    if (ref->IsEmpty()) continue;
    napi_ref raw = *ref;
    ref->SuppressDestruct();
    napi_delete_reference(self.env_, raw);
  }
}

}  // namespace interlock::napi
