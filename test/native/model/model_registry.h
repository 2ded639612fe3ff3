// The model's async/lock_registry.cc: one registry per simulated process (the real one is
// process-global, and all simulated processes share one address space). model_registry.cc defines
// the registry's API (open_process_lock, lock_became_active / _idle, serve_active_locks) over these.
#pragma once

#include <cstddef>

namespace interlock::model {

void reset_registries(size_t processes);  // before a run: one empty registry per simulated process
void clear_registries();                  // after a run, once its locks are gone
int live_process_locks();                 // ProcessLocks created since the reset and not destroyed

}  // namespace interlock::model
