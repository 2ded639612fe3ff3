// What the Linux platform layer decides about a process, for the liveness tests.
//   liveness_check hold             -> prints this process's key, then sleeps until killed
//   liveness_check liveness <key>   -> prints alive | dead | unknown
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "platform/platform.h"

using namespace interlock::platform;

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "hold") == 0) {
    std::printf("%llu\n", static_cast<unsigned long long>(current_process_key()));
    std::fflush(stdout);
    for (;;) pause();
  }
  if (argc != 3 || std::strcmp(argv[1], "liveness") != 0) return 2;
  switch (process_liveness(std::strtoull(argv[2], nullptr, 10))) {
    case Liveness::kAlive: std::puts("alive"); break;
    case Liveness::kDead: std::puts("dead"); break;
    case Liveness::kUnknown: std::puts("unknown"); break;
  }
  return 0;
}
