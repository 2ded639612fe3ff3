// Where there is no doorbell (Windows: a Node event loop cannot wait on a named event without a
// thread of its own; the model checker: park events are its whole wake-up protocol), every wake-up
// goes through the park events and the waiter threads.
#include "platform/platform.h"

namespace interlock::platform {

int process_bell_fd() {
  return -1;
}
bool ring_process_bell(uint64_t) {
  return false;
}
int drain_process_bell(int) {
  return 0;
}
void bell_listeners_changed(int) {}
bool bell_has_listeners() {
  return false;
}

}  // namespace interlock::platform
