#!/bin/sh
# tests/robust/run.sh RNNC - no input makes `rnnc check` crash or hang.
# Generates hostile sources (gen.py), checks each within 20 s and 4 GiB;
# the exit status must be 0 (accepted) or 1 (diagnosed): a signal, an
# internal error (3) or a time-out fails the test.
rnnc=$1
dir=$(mktemp -d /tmp/rnnc-robust.XXXXXX)
trap 'rm -rf "$dir"' EXIT
python3 "$(dirname "$0")/gen.py" "$dir" || exit 2
pass=0 fail=0
for src in "$dir"/*.rnn; do
    # ASan reserves terabytes of address space: cap memory only without it
    ( [ -z "$ROBUST_NO_ULIMIT" ] && ulimit -v 4194304
      timeout 20 "$rnnc" check "$src" > /dev/null 2> "$dir/stderr" )
    rc=$?
    if [ "$rc" = 0 ] || { [ "$rc" = 1 ] && grep -q 'error' "$dir/stderr"; }; then
        pass=$((pass + 1))
    else
        echo "FAIL $(basename "$src"): exit status $rc"
        tail -3 "$dir/stderr"
        fail=$((fail + 1))
    fi
done
echo "robust: $pass passed, $fail failed"
[ "$fail" = 0 ]
