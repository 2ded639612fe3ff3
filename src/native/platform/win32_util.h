// Small helpers shared by the Windows platform files.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <string>

#include "core/error.h"
#include "core/names.h"

namespace interlock::platform::win32 {

// "Local\<os name>" or "Global\<os name>" (names are ASCII: checked before any call).
inline std::wstring kernel_name(const std::string& os_name, Scope scope) {
  std::string full = (scope == Scope::kGlobal ? "Global\\" : "Local\\") + os_name;
  return std::wstring(full.begin(), full.end());
}

[[noreturn]] inline void throw_last_error(const char* call, const std::string& what, Scope scope = Scope::kLocal) {
  DWORD e = GetLastError();
  if (e == ERROR_ACCESS_DENIED || e == ERROR_PRIVILEGE_NOT_HELD) {
    std::string hint =
        scope == Scope::kGlobal ? " (creating Global\\ objects needs SeCreateGlobalPrivilege outside session 0)" : "";
    throw Error(ErrorCode::kPermission, what + ": access denied" + hint, static_cast<int>(e), call);
  }
  if (e == ERROR_COMMITMENT_LIMIT || e == ERROR_NOT_ENOUGH_MEMORY || e == ERROR_OUTOFMEMORY ||
      e == ERROR_DISK_FULL) {
    throw Error(ErrorCode::kNoSpace, what + ": not enough memory or paging file (Windows error " + std::to_string(e) + ")",
                static_cast<int>(e), call);
  }
  throw Error(ErrorCode::kSystem, what + ": Windows error " + std::to_string(e), static_cast<int>(e), call);
}

class Handle {
 public:
  Handle() = default;
  explicit Handle(HANDLE h) : h_(h) {}
  ~Handle() { reset(); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  HANDLE get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr && h_ != INVALID_HANDLE_VALUE; }
  void reset(HANDLE h = nullptr) {
    if (h_ != nullptr && h_ != INVALID_HANDLE_VALUE) CloseHandle(h_);
    h_ = h;
  }

 private:
  HANDLE h_ = nullptr;
};

}  // namespace interlock::platform::win32
