#!/bin/sh
# tests/both_passes.sh - `make test`: the suite (make test-one) plain and
# under AddressSanitizer + UndefinedBehaviorSanitizer (build/asan), the two
# passes side by side, one per core (each pass runs one program at a time).
# Each pass's output goes to build/test-PASS.log and is printed when both
# have finished, then one line per pass; exits 1 if either failed.
cd "$(dirname "$0")/.." || exit 2
make=${MAKE:-make}
mkdir -p build
$make --no-print-directory test-one > build/test-plain.log 2>&1 &
plain=$!
$make --no-print-directory test-one BUILD=build/asan SAN=1 > build/test-asan.log 2>&1 &
asan=$!
wait $plain
plain_status=$?
wait $asan
asan_status=$?
for pass in plain asan; do
    echo "======== the $pass pass (build/test-$pass.log)"
    cat "build/test-$pass.log"
done
result() { [ "$1" = 0 ] && echo passed || echo "FAILED (exit $1)"; }
echo "make test: plain pass $(result $plain_status), sanitizer pass $(result $asan_status)"
[ $plain_status = 0 ] && [ $asan_status = 0 ]
