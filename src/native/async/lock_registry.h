// The process-wide map from lock name to its one ProcessLock, shared by every env (main thread and
// Workers), refcounted: the entry lives while any handle, guard or waiter thread uses it.
#pragma once

#include <memory>

#include "async/process_lock.h"

namespace interlock {

std::shared_ptr<ProcessLock> open_process_lock(const LockOpenOptions& options);

}  // namespace interlock
