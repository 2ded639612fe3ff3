// Object names: the rules every open() enforces and the OS names derived from them.
#pragma once

#include <string>

namespace interlock {

enum class ObjectKind { kMemory, kLock, kEvent };
enum class Scope { kLocal, kGlobal };

constexpr size_t kMaxNameLength = 200;

// Throws Error(kInvalidName) unless name is 1..200 characters of [A-Za-z0-9._-].
void validate_name(const std::string& name);

// "interlock.<kind>.<name>": the name of the backing object, before the platform adds its own
// prefix ("/" for shm_open, "Local\" or "Global\" on Windows).
std::string os_object_name(ObjectKind kind, const std::string& name);

}  // namespace interlock
