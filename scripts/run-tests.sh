#!/usr/bin/env bash
# `make test`: every ctest entry of the normal build, then the unit tests
# again under ASan+UBSan. The second stage runs even when the first failed
# (a failing entry must not hide a sanitizer report), and the last lines
# name the outcome of each stage and the tests that failed in it; each
# failed test's own output (above) names the assertion.
# Usage: scripts/run-tests.sh BUILD_DIR ASAN_BUILD_DIR JOBS
set -uo pipefail
build=$1 asan=$2 jobs=$3

failed_list() { # the tests ctest recorded as failed in its last run
  local f="$1/Testing/Temporary/LastTestsFailed.log"
  [ -s "$f" ] && sed 's/^[0-9]*://' "$f" | paste -sd' ' - || echo "(see above)"
}

(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 900)
rc1=$?

rc2=0
if ! scripts/configure.sh "$asan" -DCMAKE_BUILD_TYPE=Debug -DAU_WERROR=ON -DAU_SANITIZE=ON; then
  rc2=1; asan_what="configure failed"
elif ! cmake --build "$asan" -j "$jobs"; then
  rc2=1; asan_what="build failed"
else
  (cd "$asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -L unit -j "$jobs" --timeout 900)
  rc2=$?
  asan_what="failed: $(failed_list "$asan")"
fi

echo "==== make test summary ===="
if [ $rc1 -eq 0 ]; then echo "stage 1 (ctest, $build): passed"
else echo "stage 1 (ctest, $build): FAILED: $(failed_list "$build")"; fi
if [ $rc2 -eq 0 ]; then echo "stage 2 (unit tests under ASan+UBSan, $asan): passed"
else echo "stage 2 (unit tests under ASan+UBSan, $asan): FAILED ($asan_what)"; fi
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
