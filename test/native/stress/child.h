// A child of the stress test (child.cc): forked by the parent, it never returns.
#pragma once

#include <cstdint>

namespace interlock::stress {

// Opens the lock, runs the threads of child `pos` (its records in the shared region) until the
// stop phase, closes the lock and exits; the parent may SIGKILL it anywhere in between.
[[noreturn]] void child_main(int pos, uint64_t seed);

}  // namespace interlock::stress
