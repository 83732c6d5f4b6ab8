#!/bin/sh
# tests/onnx/export.sh RNNC - emit --target onnx on every model
# tests/onnx/export/models.sh lists (every example, every parity fixture,
# user cells), with the checks tools/make_onnx_export_checks.py committed in
# tests/onnx/export/checks/NAME:
#   - the same model and weights give the same bytes, twice;
#   - they are the bytes the checks were made from (model.sha256): the file
#     onnx.checker (full_check) accepted and ONNX Runtime ran;
#   - ONNX Runtime's output then (output_ort.npy) agrees with the program's
#     forward within the numerics bound;
#   - rnnc import of the export builds to a program whose forward agrees
#     with the original's within the bound;
# and the usage errors. The live checker and ONNX Runtime run in make
# test-slow (tests/onnx/export_live.sh). With ONNX_QUICK=1 (the sanitizer
# pass, where rnnc is what is under test) only three models (a user cell,
# a stacked bidirectional user cell on tokens, an example) go through the
# built programs; the other fixtures are exported, compared and imported
# without building, and the other examples are left to the plain pass.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# exported twice to $o/a.onnx and b.onnx: the same bytes, those checked by ONNX Runtime; 1 if emit fails
exports_match() { # NAME SOURCE WEIGHTS CHECKS
    "$rnnc" emit "$2" --target onnx --weights "$3" -o "$o/a.onnx" 2> "$o/err" &&
        "$rnnc" emit "$2" --target onnx --weights "$3" -o "$o/b.onnx" 2>> "$o/err" ||
        { bad "$1: emit: $(cat "$o/err")"; return 1; }
    cmp -s "$o/a.onnx" "$o/b.onnx" && ok || bad "$1: two exports differ"
    [ "$(sha256sum < "$o/a.onnx" | cut -d' ' -f1)" = "$(cat "$4/model.sha256")" ] && ok ||
        bad "$1: the export is not the file checked by ONNX Runtime (rerun tools/make_onnx_export_checks.py)"
}

# exported and imported, no program built
export_only() { # NAME SOURCE WEIGHTS
    name=$1 src=$root/$2 weights=$root/$3 checks=$here/export/checks/$1 o=$work/$1
    mkdir -p "$o"
    exports_match "$name" "$src" "$weights" "$checks" || return
    "$rnnc" import "$o/a.onnx" -o "$o/back.rnn" --weights-out "$o/back.safetensors" 2> "$o/err" &&
        "$rnnc" check "$o/back.rnn" 2>> "$o/err" && ok || bad "$name: import of the export: $(cat "$o/err")"
}

check_model() { # NAME SOURCE WEIGHTS
    name=$1 src=$root/$2 weights=$3 checks=$here/export/checks/$1 o=$work/$1
    if [ "${ONNX_QUICK:-0}" = 1 ]; then
        case $name in
        user_cell_functions | mgu | classifier) ;;
        *) [ "$weights" = - ] || export_only "$@"; return ;;
        esac
    fi
    mkdir -p "$o"
    "$rnnc" build "$src" -o "$o/prog" 2> "$o/err" || { bad "$name: build: $(cat "$o/err")"; return; }
    if [ "$weights" = - ]; then
        weights=$o/w.safetensors
        "$o/prog" init --seed 3 -o "$weights" > /dev/null || { bad "$name: init"; return; }
    else
        weights=$root/$weights
    fi
    exports_match "$name" "$src" "$weights" "$checks" || return
    "$o/prog" forward --weights "$weights" --input "$checks/input.npy" --expect "$checks/output_ort.npy" > "$o/out" 2>&1 &&
        ok || bad "$name: forward and ONNX Runtime disagree: $(cat "$o/out")"
    "$o/prog" forward --weights "$weights" --input "$checks/input.npy" -o "$o/y.npy" || { bad "$name: forward"; return; }
    "$rnnc" import "$o/a.onnx" -o "$o/back.rnn" --weights-out "$o/back.safetensors" 2> "$o/err" &&
        "$rnnc" build "$o/back.rnn" -o "$o/back" 2>> "$o/err" ||
        { bad "$name: import of the export: $(cat "$o/err")"; return; }
    "$o/back" forward --weights "$o/back.safetensors" --input "$checks/input.npy" --expect "$o/y.npy" > "$o/out" 2>&1 &&
        ok || bad "$name: the imported export's forward differs: $(cat "$o/out")"
}

sh "$here/export/models.sh" > "$work/models"
while read -r name src weights; do
    check_model "$name" "$src" "$weights"
done < "$work/models"

# usage errors: both --weights and -o are needed (exit 2); weights that do not fit (exit 1)
src=$root/examples/classifier.rnn
"$rnnc" emit "$src" --target onnx -o "$work/x.onnx" 2> "$work/err"
[ $? = 2 ] && grep -q "needs --weights W.safetensors and -o MODEL.onnx" "$work/err" && ok || bad "no --weights: $(cat "$work/err")"
"$rnnc" emit "$src" --target onnx --weights "$root/tests/parity/fixtures/rnn_tanh_mse/weights.safetensors" \
    -o "$work/x.onnx" 2> "$work/err"
[ $? = 1 ] && grep -q "missing parameter 'e.weight'" "$work/err" && [ ! -e "$work/x.onnx" ] && ok ||
    bad "weights of another model: $(cat "$work/err")"

echo "onnx export: $pass passed, $fail failed"
[ "$fail" = 0 ]
