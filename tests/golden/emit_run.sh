#!/bin/sh
# tests/golden/emit_run.sh RNNC - golden tests of emitted text. For each
# tests/golden/emit/x.rnn and each expected x.TARGET beside it (TARGET one
# of ir, adjoint), `rnnc emit x.rnn --target TARGET` must print that file
# byte for byte. UPDATE=1 writes the expected files (review the diff).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/emit" || exit 2
pass=0 fail=0
for src in *.rnn; do
    name=${src%.rnn}
    for target in ir adjoint; do
        [ -f "$name.$target" ] || [ "${UPDATE:-0}" = 1 ] || continue
        if ! "$rnnc" emit "$src" --target "$target" > "/tmp/rnnc-emit-$$" 2>&1; then
            echo "FAIL $name.$target: rnnc failed"; cat "/tmp/rnnc-emit-$$"; fail=$((fail + 1)); continue
        fi
        [ "${UPDATE:-0}" = 1 ] && cp "/tmp/rnnc-emit-$$" "$name.$target"
        if cmp -s "/tmp/rnnc-emit-$$" "$name.$target"; then
            pass=$((pass + 1))
        else
            echo "FAIL $name.$target: output differs"; diff -u "$name.$target" "/tmp/rnnc-emit-$$" | head -20
            fail=$((fail + 1))
        fi
    done
done
rm -f "/tmp/rnnc-emit-$$"
echo "golden emit: $pass passed, $fail failed"
[ "$fail" = 0 ]
