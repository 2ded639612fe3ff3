// Named events on Windows: native event objects (CreateEventW), manual or auto reset. A waiter thread
// waits on {the event, a local interrupt event}. When that wait is released by the event, an
// auto-reset signal has been consumed by it and is handed to the oldest wait; a manual-reset release
// counts as a pulse that satisfies every wait that began before it, even if the event was reset since.
#include <atomic>

#include "platform/platform.h"
#include "platform/win32_util.h"

namespace interlock::platform {
namespace {

using win32::Handle;

struct EventBasicInformation {
  int event_type;  // 0: notification (manual reset), 1: synchronization (auto reset)
  LONG event_state;
};
using NtQueryEventFn = LONG(NTAPI*)(HANDLE, int, PVOID, ULONG, PULONG);
constexpr DWORD kEventQueryState = 0x0001;  // EVENT_QUERY_STATE (ntddk), what NtQueryEvent needs

NtQueryEventFn nt_query_event() {
  static NtQueryEventFn fn = reinterpret_cast<NtQueryEventFn>(
      reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryEvent")));
  return fn;
}

class Win32Event final : public NativeEvent {
 public:
  Win32Event(Handle event, bool manual_reset, bool created)
      : event_(std::move(event)),
        interrupt_(CreateEventW(nullptr, FALSE, FALSE, nullptr)),
        manual_(manual_reset),
        created_(created) {}

  bool manual_reset() const override { return manual_; }
  bool created() const override { return created_; }
  void set() override { SetEvent(event_.get()); }
  void reset() override { ResetEvent(event_.get()); }

  bool is_set() override {
    if (taken_.load()) return true;
    if (auto query = nt_query_event()) {
      EventBasicInformation info{};
      if (query(event_.get(), 0, &info, sizeof info, nullptr) == 0) return info.event_state != 0;
    }
    return manual_ && WaitForSingleObject(event_.get(), 0) == WAIT_OBJECT_0;
  }

  uint64_t ticket() override { return pulses_.load(); }

  bool try_take(uint64_t ticket) override {
    if (manual_) return pulses_.load() != ticket || WaitForSingleObject(event_.get(), 0) == WAIT_OBJECT_0;
    if (taken_.exchange(false)) return true;
    return WaitForSingleObject(event_.get(), 0) == WAIT_OBJECT_0;
  }

  void wait(uint64_t ticket, uint32_t timeout_ms) override {
    if (pulses_.load() != ticket || taken_.load()) return;
    HANDLE handles[2] = {event_.get(), interrupt_.get()};
    if (WaitForMultipleObjects(2, handles, FALSE, timeout_ms) == WAIT_OBJECT_0) {
      if (manual_) {
        pulses_.fetch_add(1);
      } else {
        taken_.store(true);  // the wait consumed the signal: keep it for the oldest waiter
      }
    }
  }

  void interrupt() override { SetEvent(interrupt_.get()); }

  void release_unclaimed() override {
    if (taken_.exchange(false)) SetEvent(event_.get());
  }

  ~Win32Event() override { release_unclaimed(); }

 private:
  Handle event_;
  Handle interrupt_;
  bool manual_;
  bool created_;
  std::atomic<uint64_t> pulses_{0};
  std::atomic<bool> taken_{false};
};

}  // namespace

std::unique_ptr<NativeEvent> NativeEvent::open(const EventOptions& o) {
  const std::wstring name = win32::kernel_name(o.os_name, o.scope);
  HANDLE h = CreateEventW(nullptr, o.manual_reset ? TRUE : FALSE, o.initial_state ? TRUE : FALSE, name.c_str());
  if (h == nullptr) {
    if (GetLastError() == ERROR_INVALID_HANDLE) {
      throw Error(ErrorCode::kIncompatible, "'" + o.os_name + "' exists but is not an event", ERROR_INVALID_HANDLE,
                  "CreateEventW");
    }
    win32::throw_last_error("CreateEventW", "cannot open '" + o.os_name + "'", o.scope);
  }
  Handle event(h);
  bool manual = o.manual_reset;
  const bool created = GetLastError() != ERROR_ALREADY_EXISTS;
  if (!created) {
    // The creator fixed the type: ask the kernel which it is.
    if (auto query = nt_query_event()) {
      EventBasicInformation info{};
      if (query(event.get(), 0, &info, sizeof info, nullptr) == 0) manual = info.event_type == 0;
    }
  }
  return std::make_unique<Win32Event>(std::move(event), manual, created);
}

bool NativeEvent::peek(const std::string& os_name, Scope scope, State* out) {
  HANDLE h = OpenEventW(kEventQueryState | SYNCHRONIZE, FALSE, win32::kernel_name(os_name, scope).c_str());
  if (h == nullptr) {
    DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND) return false;
    if (e == ERROR_INVALID_HANDLE) throw Error(ErrorCode::kIncompatible, "'" + os_name + "' is not an event");
    win32::throw_last_error("OpenEventW", "cannot look at '" + os_name + "'", scope);
  }
  Handle event(h);
  EventBasicInformation info{};
  auto query = nt_query_event();
  if (query == nullptr || query(event.get(), 0, &info, sizeof info, nullptr) != 0) {
    throw Error(ErrorCode::kSystem, "cannot query the event '" + os_name + "'");
  }
  out->manual_reset = info.event_type == 0;
  out->set = info.event_state != 0;
  return true;
}

}  // namespace interlock::platform
