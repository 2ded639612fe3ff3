// Turns core errors into InterlockError instances (the JS class is handed over at load time), so
// native code throws the library's own error class with a stable `code`.
#pragma once

#include <napi.h>

#include <string>

#include "core/error.h"
#include "core/names.h"

namespace interlock::napi {

Napi::Error to_js_error(Napi::Env env, const Error& error);
Napi::Error invalid_arg(Napi::Env env, const std::string& message);
std::string object_path_of(const std::string& os_name, Scope scope);

// Runs fn, converting interlock::Error into a thrown InterlockError.
template <class Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    throw to_js_error(env, e);
  }
}

// Runs fn, which works on the OS object os_name: an OS failure names the object's path.
template <class Fn>
auto guarded_at(Napi::Env env, const std::string& os_name, Scope scope, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    Error located = e;
    if (located.sys_errno() != 0 && located.path().empty()) located.set_path(object_path_of(os_name, scope));
    throw to_js_error(env, located);
  }
}

}  // namespace interlock::napi
