// How Windows failures are described to Node: GetLastError() codes as the libuv codes Node's own
// errors carry (ERROR_ACCESS_DENIED is EPERM, as in fs), and the kernel names of objects.
#include "platform/platform.h"
#include "platform/win32_util.h"

namespace interlock::platform {

namespace {

// libuv's own Windows values (uv/errno.h), for a host that does not export its translator.
int fallback_translation(int e) {
  switch (e) {
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return -4048;  // UV_EPERM
    case ERROR_NOACCESS:
      return -4092;  // UV_EACCES
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return -4058;  // UV_ENOENT
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
      return -4075;  // UV_EEXIST
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_COMMITMENT_LIMIT:
      return -4057;  // UV_ENOMEM
    case ERROR_DISK_FULL:
      return -4055;  // UV_ENOSPC
    case ERROR_INVALID_HANDLE:
      return -4083;  // UV_EBADF
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_NAME:
      return -4071;  // UV_EINVAL
    case ERROR_TOO_MANY_OPEN_FILES:
      return -4066;  // UV_EMFILE
    default:
      return -4094;  // UV_UNKNOWN
  }
}

}  // namespace

int node_errno(int sys_errno) {
  if (sys_errno <= 0) return sys_errno;
  // node.exe exports libuv: use its translation, the one Node's fs errors use.
  using Translate = int (*)(int);
  static const Translate translate =
      reinterpret_cast<Translate>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(nullptr), "uv_translate_sys_error")));
  return translate ? translate(sys_errno) : fallback_translation(sys_errno);
}

std::string object_path(const std::string& os_name, Scope scope) {
  return (scope == Scope::kGlobal ? "Global\\" : "Local\\") + os_name;
}

}  // namespace interlock::platform
