#include "core/names.h"

#include "core/error.h"

namespace interlock {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidName:
      return "ERR_INVALID_NAME";
    case ErrorCode::kInvalidArg:
      return "ERR_INVALID_ARG";
    case ErrorCode::kExists:
      return "ERR_EXISTS";
    case ErrorCode::kNotFound:
      return "ERR_NOT_FOUND";
    case ErrorCode::kSizeMismatch:
      return "ERR_SIZE_MISMATCH";
    case ErrorCode::kIncompatible:
      return "ERR_INCOMPATIBLE";
    case ErrorCode::kTooManyProcesses:
      return "ERR_TOO_MANY_PROCESSES";
    case ErrorCode::kTooManyGuards:
      return "ERR_TOO_MANY_GUARDS";
    case ErrorCode::kNoSpace:
      return "ERR_NO_SPACE";
    case ErrorCode::kClosed:
      return "ERR_CLOSED";
    case ErrorCode::kNotHeld:
      return "ERR_NOT_HELD";
    case ErrorCode::kPermission:
      return "ERR_PERMISSION";
    case ErrorCode::kSystem:
      return "ERR_SYSTEM";
  }
  return "ERR_SYSTEM";
}

void validate_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    throw Error(ErrorCode::kInvalidName, "name must be 1 to 200 characters long");
  }
  for (char c : name) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) throw Error(ErrorCode::kInvalidName, "name may contain only A-Z, a-z, 0-9, '.', '_' and '-'");
  }
}

std::string os_object_name(ObjectKind kind, const std::string& name) {
  const char* k = kind == ObjectKind::kMemory ? "mem" : kind == ObjectKind::kLock ? "lock" : "event";
  return std::string("interlock.") + k + "." + name;
}

}  // namespace interlock
