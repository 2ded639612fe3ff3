// The process-wide map from lock name to its one ProcessLock, shared by every env (main thread and
// Workers), refcounted: the entry lives while any handle, guard or waiter thread uses it.
#pragma once

#include <memory>

#include "async/process_lock.h"

namespace interlock {

std::shared_ptr<ProcessLock> open_process_lock(const LockOpenOptions& options);

// Locks with a waiter thread (requests queued, or lingering): what a ring of this process's
// doorbell may concern. Called by ProcessLock as its waiter thread starts and ends.
void lock_became_active(const std::shared_ptr<ProcessLock>& lock);
void lock_became_idle(const ProcessLock* lock);

// On a JS thread, when the process's doorbell rang: lets every active lock serve its queue at once.
void serve_active_locks();

}  // namespace interlock
