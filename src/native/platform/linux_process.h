// Linux-only helpers shared by the platform files (not part of the platform interface).
#pragma once

#include <cstdint>

namespace interlock::platform {

// True while key's pid still names the process of that key (same start time), even if it is a
// zombie or its threads are still exiting: a pidfd opened for it watches the right process.
bool pid_names_key(uint64_t key);

}  // namespace interlock::platform
