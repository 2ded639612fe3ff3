#include "napi/shared_memory_wrap.h"

#include "napi/args.h"

namespace interlock::napi {

Napi::Function SharedMemoryWrap::define(Napi::Env env) {
  return DefineClass(env, "SharedMemoryHandle",
                     {
                         InstanceMethod<&SharedMemoryWrap::close>("close"),
                     });
}

// new SharedMemoryHandle(name, size, create (0 open-or-create, 1 exclusive, 2 open only), mode, global,
// maxSize). Sets this.buffer (ArrayBuffer), this.size and this.created. maxSize: the largest Buffer
// this Node.js makes (buffer.constants.MAX_LENGTH); Node fails (and frees twice) on a larger view.
SharedMemoryWrap::SharedMemoryWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SharedMemoryWrap>(info) {
  Napi::Env env = info.Env();
  platform::SegmentOptions o;
  o.os_name = os_object_name(ObjectKind::kMemory, name_arg(info, 0));
  o.size = static_cast<size_t>(id_arg(info, 1, "size"));
  const uint64_t max_size = id_arg(info, 5, "maxSize");
  if (o.size > max_size) {
    throw invalid_arg(env, "size must be at most " + std::to_string(max_size) + " bytes (buffer.constants.MAX_LENGTH)");
  }
  double create = number_arg(info, 2, "create");
  o.create = create == 1   ? platform::CreateMode::kExclusive
             : create == 2 ? platform::CreateMode::kOpenOnly
                           : platform::CreateMode::kOpenOrCreate;
  o.mode = static_cast<unsigned>(id_arg(info, 3, "mode"));
  o.scope = scope_arg(info, 4);
  std::shared_ptr<platform::Segment> segment = guarded_at(env, o.os_name, o.scope, [&] { return platform::Segment::open(o); });
  if (segment->size() > max_size) {  // an existing segment, opened with no size (or a smaller one)
    throw to_js_error(env, Error(ErrorCode::kIncompatible,
                                 "'" + o.os_name + "' exists with " + std::to_string(segment->size()) +
                                     " bytes, more than the largest Buffer this Node.js can make (" +
                                     std::to_string(max_size) + " bytes)"));
  }
  // The ArrayBuffer's finalizer owns a reference: the mapping outlives every view of it.
  auto* keep = new std::shared_ptr<platform::Segment>(segment);
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
      env, segment->data(), segment->size(), [](Napi::Env, void*, std::shared_ptr<platform::Segment>* k) { delete k; },
      keep);
  buffer_ = Napi::Reference<Napi::ArrayBuffer>::New(ab, 1);
  Napi::Object self = info.This().As<Napi::Object>();
  self.Set("buffer", ab);
  self.Set("size", Napi::Number::New(env, static_cast<double>(segment->size())));
  self.Set("created", Napi::Boolean::New(env, segment->created()));
}

Napi::Value SharedMemoryWrap::close(const Napi::CallbackInfo& info) {
  if (!buffer_.IsEmpty()) {
    Napi::ArrayBuffer ab = buffer_.Value();
    if (!ab.IsDetached()) ab.Detach();
    buffer_.Reset();
  }
  return info.Env().Undefined();
}

}  // namespace interlock::napi
