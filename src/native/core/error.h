// Errors raised by the portable core and the platform layer. The Node-API surface turns each one into
// an InterlockError with the same code; nothing below that surface knows about JavaScript.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace interlock {

enum class ErrorCode {
  kInvalidName,
  kInvalidArg,
  kExists,
  kNotFound,
  kSizeMismatch,
  kIncompatible,
  kTooManyProcesses,
  kTooManyGuards,  // 2^20 guards of one lock held at once in one process
  kNoSpace,        // the system has no room for the memory asked for (a full /dev/shm, commit limit)
  kClosed,
  kNotHeld,
  kPermission,
  kSystem,  // any other OS failure: carries errno/GetLastError and the call that failed
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, int sys_errno = 0, const char* syscall = nullptr)
      : std::runtime_error(message), code_(code), sys_errno_(sys_errno), syscall_(syscall ? syscall : "") {}
  ErrorCode code() const { return code_; }
  int sys_errno() const { return sys_errno_; }
  const std::string& syscall() const { return syscall_; }
  // The OS object the failing call was about, as users see it (set by the Node-API surface).
  const std::string& path() const { return path_; }
  void set_path(std::string path) { path_ = std::move(path); }

 private:
  ErrorCode code_;
  int sys_errno_;
  std::string syscall_;
  std::string path_;
};

}  // namespace interlock
