// The binding's SharedMemory handle: the mapping, exposed as an external ArrayBuffer that is
// detached on close() so a stale Buffer reads as empty instead of touching unmapped memory.
#pragma once

#include <napi.h>

#include <memory>

#include "platform/platform.h"

namespace interlock::napi {

class SharedMemoryWrap : public Napi::ObjectWrap<SharedMemoryWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit SharedMemoryWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value close(const Napi::CallbackInfo& info);

  Napi::Reference<Napi::ArrayBuffer> buffer_;
};

}  // namespace interlock::napi
