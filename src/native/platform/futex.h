// Shared futex wait/wake on a word in mapped memory (Linux only).
#pragma once

#include <atomic>
#include <cstdint>

namespace interlock::platform {

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint32_t timeout_ms);
void futex_wake_all(std::atomic<uint32_t>* word);

}  // namespace interlock::platform
