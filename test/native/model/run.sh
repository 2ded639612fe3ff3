#!/bin/sh
# Builds the model checker (the real core and the real async/process_lock.cc against the fake
# platform and the model's mutex and threads) and runs it.
#   test/native/model/run.sh                      the CI suite, 30 s budget
#   test/native/model/run.sh ci 120               a longer budget
#   test/native/model/run.sh ci 36 stray-reader   one scenario, with its share of a 36 s budget
#   test/native/model/run.sh dfs ww-r 3 60        one scenario, bounded DFS
#   test/native/model/run.sh random crash-join 7 100000
#   test/native/model/run.sh replay <scenario> <path>   (the path a violation printed)
#   test/native/model/run.sh list
# MODEL_CHECK_EXE: where the binary goes; MODEL_CHECK_FLAGS: extra compiler flags (for instance
# "-fsanitize=thread -g", or "-O1 -g" for a debugger).
set -e
here=$(cd "$(dirname "$0")" && pwd)
native="$here/../../../src/native"
exe="${MODEL_CHECK_EXE:-${TMPDIR:-/tmp}/interlock-model-check}"
# shellcheck disable=SC2086
g++ -std=c++17 -O2 -pthread -Wall -Wextra -Werror ${MODEL_CHECK_FLAGS:-} -DINTERLOCK_MODEL_CHECK -I"$native" -I"$here" \
  "$here/scheduler.cc" "$here/primitives.cc" "$here/fake_platform.cc" "$here/scenarios.cc" "$here/js_driver.cc" \
  "$here/model_registry.cc" "$here/explorers.cc" "$here/model_check.cc" \
  "$native/async/process_lock.cc" "$native/core/rw_lock_segment.cc" "$native/core/names.cc" -o "$exe"
if [ $# -eq 0 ]; then set -- ci 30; fi
exec "$exe" "$@"
