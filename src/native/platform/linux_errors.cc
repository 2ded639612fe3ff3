// How Linux failures are described to Node: errno as Node reports it, and where an object lives.
#include "platform/platform.h"

namespace interlock::platform {

int node_errno(int sys_errno) {
  return sys_errno > 0 ? -sys_errno : sys_errno;
}

std::string object_path(const std::string& os_name, Scope) {
  return "/dev/shm/" + os_name;  // where shm_open(3) puts "/<os_name>"
}

}  // namespace interlock::platform
