// Argument conversion for the binding. The TypeScript layer checks every argument with exact
// messages first; these checks keep a direct caller of the binding from crashing the process.
#pragma once

#include <napi.h>

#include <cmath>
#include <string>

#include "core/names.h"
#include "napi/errors.h"

namespace interlock::napi {

inline std::string name_arg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw to_js_error(info.Env(), Error(ErrorCode::kInvalidName, "name must be a string"));
  std::string name = info[i].As<Napi::String>().Utf8Value();
  guarded(info.Env(), [&] { validate_name(name); });
  return name;
}

inline double number_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw invalid_arg(info.Env(), std::string(what) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (std::isnan(v)) throw invalid_arg(info.Env(), std::string(what) + " must not be NaN");
  return v;
}

inline uint64_t id_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  double v = number_arg(info, i, what);
  if (v < 0 || v > 9007199254740991.0 || std::floor(v) != v) {
    throw invalid_arg(info.Env(), std::string(what) + " must be a safe non-negative integer");
  }
  return static_cast<uint64_t>(v);
}

inline Scope scope_arg(const Napi::CallbackInfo& info, size_t i) {
  return info[i].IsBoolean() && info[i].As<Napi::Boolean>().Value() ? Scope::kGlobal : Scope::kLocal;
}

// Milliseconds from now to an absolute monotonic deadline; negative means no deadline.
uint64_t deadline_from_timeout(double timeout_ms);

}  // namespace interlock::napi
