#!/bin/sh
# tests/golden/emit_run.sh RNNC - golden tests of emitted text. For each
# tests/golden/emit/x.rnn and each expected x.TARGET beside it (TARGET one
# of ir, adjoint, llvm-ir, or passes: `--target ir --print-after-all`, the
# IR after each optimisation pass), `rnnc emit x.rnn --target TARGET` must
# print that file byte for byte. LLVM IR is emitted at -O0 for a generic CPU, and
# compared only with the LLVM version the golden files were made with (14):
# other versions print other (equivalent) text. UPDATE=1 writes the
# expected files (review the diff).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/emit" || exit 2
pass=0 fail=0
for src in *.rnn; do
    name=${src%.rnn}
    for target in ir adjoint llvm-ir passes; do
        [ -f "$name.$target" ] || [ "${UPDATE:-0}" = 1 ] || continue
        level= emit_target=$target
        [ "$target" = passes ] && emit_target="ir --print-after-all"
        if [ "$target" = llvm-ir ]; then
            [ "$name" = peephole ] || continue
            [ "$(${LLVM_CONFIG:-llvm-config} --version | cut -d. -f1)" = 14 ] || { echo "golden emit: $name.llvm-ir skipped (not LLVM 14)"; continue; }
            level=-O0
        fi
        if ! "$rnnc" emit "$src" --target $emit_target $level > "/tmp/rnnc-emit-$$" 2>&1; then
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
