#!/bin/sh
# tests/golden/run.sh RNNC - golden tests of diagnostics.
# Each tests/golden/check/x.rnn is checked with `rnnc check x.rnn` from
# inside that directory; its stderr must equal x.err byte for byte, and the
# exit status must be 1 when x.err holds an error, else 0.
# UPDATE=1 rewrites the .err files (review the diff before committing).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/check" || exit 2
pass=0 fail=0
for src in *.rnn; do
    name=${src%.rnn}
    "$rnnc" check "$src" > /dev/null 2> "/tmp/rnnc-golden-$$.err" </dev/null
    rc=$?
    if [ "${UPDATE:-0}" = 1 ]; then
        cp "/tmp/rnnc-golden-$$.err" "$name.err"
    fi
    want=0
    grep -q ': error: ' "$name.err" 2>/dev/null && want=1
    if [ ! -f "$name.err" ]; then
        echo "FAIL $name: no $name.err"
        fail=$((fail + 1))
    elif ! cmp -s "/tmp/rnnc-golden-$$.err" "$name.err"; then
        echo "FAIL $name: diagnostics differ"
        diff -u "$name.err" "/tmp/rnnc-golden-$$.err" | head -20
        fail=$((fail + 1))
    elif [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit status $rc, expected $want"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
done
rm -f "/tmp/rnnc-golden-$$.err"
echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
