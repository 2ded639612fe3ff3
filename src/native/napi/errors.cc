#include "napi/errors.h"

#include "napi/env_context.h"
#include "platform/platform.h"

namespace interlock::napi {

Napi::Error to_js_error(Napi::Env env, const Error& error) {
  const char* code = error_code_name(error.code());
  auto ctx = EnvContext::of(env);
  if (ctx && !ctx->make_error.IsEmpty()) {
    Napi::Value made = ctx->make_error.Call(
        {Napi::String::New(env, code), Napi::String::New(env, error.what()),
         Napi::Number::New(env, platform::node_errno(error.sys_errno())), Napi::String::New(env, error.syscall()),
         Napi::String::New(env, error.path())});
    return Napi::Error(env, made);
  }
  Napi::Error plain = Napi::Error::New(env, error.what());
  plain.Set("code", Napi::String::New(env, code));
  return plain;
}

std::string object_path_of(const std::string& os_name, Scope scope) {
  return platform::object_path(os_name, scope);
}

Napi::Error invalid_arg(Napi::Env env, const std::string& message) {
  return to_js_error(env, Error(ErrorCode::kInvalidArg, message));
}

}  // namespace interlock::napi
