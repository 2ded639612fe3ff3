// BellWatch on Linux: a libuv poll handle on the process's doorbell socket, one per env. Every env
// of the process polls the same socket; whichever loop reads a ring serves every active lock, and
// each then dispatches what is queued for it.
#include <uv.h>

#include <cstddef>

#include "napi/bell_watch.h"
#include "platform/platform.h"

namespace interlock::napi {
namespace {

// The uv handle outlives the watch object: the loop must see it closed before the loop is torn
// down (a Worker's loop is closed right after its env), so an async cleanup hook, registered before
// the env context's own cleanup hook and so run after it, closes it and holds the env until then.
struct PollBox {
  uv_poll_t poll;
  napi_async_cleanup_hook_handle hook = nullptr;
};

class UvBellWatch final : public BellWatch {
 public:
  UvBellWatch(napi_env env, Callback callback, void* context) : env_(env), callback_(callback), context_(context) {}

  bool open(int fd) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok || loop == nullptr) return false;
    napi_value resource, name;
    if (napi_create_object(env_, &resource) != napi_ok ||
        napi_create_reference(env_, resource, 1, &resource_) != napi_ok ||
        napi_create_string_utf8(env_, "interlock.bell", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_async_init(env_, resource, name, &async_) != napi_ok) {
      return false;
    }
    auto* box = new PollBox;
    if (uv_poll_init(loop, &box->poll, fd) != 0) {
      delete box;
      return false;
    }
    if (napi_add_async_cleanup_hook(env_, &UvBellWatch::on_env_cleanup, box, &box->hook) != napi_ok) {
      uv_close(reinterpret_cast<uv_handle_t*>(&box->poll),
               [](uv_handle_t* h) { delete reinterpret_cast<PollBox*>(h); });
      return false;
    }
    box->poll.data = this;
    box_ = box;
    platform::bell_listeners_changed(+1);
    uv_poll_start(&box->poll, UV_READABLE, &UvBellWatch::on_readable);
    uv_unref(reinterpret_cast<uv_handle_t*>(&box->poll));  // never keeps the process alive
    return true;
  }

  ~UvBellWatch() override { stop(); }

  void stop() override {
    // Raw calls, statuses ignored: this runs while the env goes away.
    if (box_ != nullptr) {
      platform::bell_listeners_changed(-1);
      uv_poll_stop(&box_->poll);
      box_->poll.data = nullptr;  // on_env_cleanup closes it
      box_ = nullptr;
    }
    if (async_ != nullptr) napi_async_destroy(env_, async_);
    if (resource_ != nullptr) napi_delete_reference(env_, resource_);
    async_ = nullptr;
    resource_ = nullptr;
  }

 private:
  static void on_env_cleanup(napi_async_cleanup_hook_handle, void* arg) {
    auto* box = static_cast<PollBox*>(arg);
    uv_poll_stop(&box->poll);
    uv_close(reinterpret_cast<uv_handle_t*>(&box->poll), [](uv_handle_t* h) {
      auto* closed = reinterpret_cast<PollBox*>(h);  // poll is the first member
      napi_remove_async_cleanup_hook(closed->hook);
      delete closed;
    });
  }

  static void on_readable(uv_poll_t* handle, int status, int) {
    auto* self = static_cast<UvBellWatch*>(handle->data);
    if (self == nullptr) return;
    // Every env polls the one socket: an env that finds no ring left (another took it) has
    // nothing to do, as whoever read it serves every lock.
    if (platform::drain_process_bell(platform::process_bell_fd()) == 0 || status < 0) return;
    napi_env env = self->env_;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value resource;
    napi_callback_scope callback_scope;
    if (napi_get_reference_value(env, self->resource_, &resource) == napi_ok &&
        napi_open_callback_scope(env, resource, self->async_, &callback_scope) == napi_ok) {
      self->callback_(env, self->context_);
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
        napi_value error;
        if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
      }
      napi_close_callback_scope(env, callback_scope);
    }
    napi_close_handle_scope(env, scope);
  }

  napi_env env_;
  Callback callback_;
  void* context_;
  PollBox* box_ = nullptr;
  napi_ref resource_ = nullptr;
  napi_async_context async_ = nullptr;
};

}  // namespace

std::unique_ptr<BellWatch> BellWatch::start(napi_env env, Callback callback, void* context) {
  int fd = platform::process_bell_fd();
  if (fd < 0) return nullptr;
  auto watch = std::make_unique<UvBellWatch>(env, callback, context);
  if (!watch->open(fd)) return nullptr;
  return watch;
}

}  // namespace interlock::napi
