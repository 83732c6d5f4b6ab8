#!/bin/sh
# tools/test.sh - the test suite, from a fresh clone: install what the build
# needs, then `make test` (unit, golden, robustness and end-to-end tests,
# plain and under AddressSanitizer + UndefinedBehaviorSanitizer).
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
make test
