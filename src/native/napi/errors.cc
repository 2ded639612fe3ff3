#include "napi/errors.h"

#include "napi/env_context.h"

namespace interlock::napi {

Napi::Error to_js_error(Napi::Env env, const Error& error) {
  const char* code = error_code_name(error.code());
  auto ctx = EnvContext::of(env);
  if (ctx && !ctx->make_error.IsEmpty()) {
    Napi::Value made =
        ctx->make_error.Call({Napi::String::New(env, code), Napi::String::New(env, error.what()),
                              Napi::Number::New(env, error.sys_errno()), Napi::String::New(env, error.syscall())});
    return Napi::Error(env, made);
  }
  Napi::Error plain = Napi::Error::New(env, error.what());
  plain.Set("code", Napi::String::New(env, code));
  return plain;
}

Napi::Error invalid_arg(Napi::Env env, const std::string& message) {
  return to_js_error(env, Error(ErrorCode::kInvalidArg, message));
}

}  // namespace interlock::napi
