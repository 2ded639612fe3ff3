// Turns core errors into InterlockError instances (the JS class is handed over at load time), so
// native code throws the library's own error class with a stable `code`.
#pragma once

#include <napi.h>

#include "core/error.h"

namespace interlock::napi {

Napi::Error to_js_error(Napi::Env env, const Error& error);
Napi::Error invalid_arg(Napi::Env env, const std::string& message);

// Runs fn, converting interlock::Error into a thrown InterlockError.
template <class Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    throw to_js_error(env, e);
  }
}

}  // namespace interlock::napi
