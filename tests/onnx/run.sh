#!/bin/sh
# tests/onnx/run.sh RNNC - rnnc import against ONNX's own recurrent node
# tests (tests/onnx/node/, from libonnx-testdata), models of our own
# against ONNX Runtime (tests/onnx/own/; both by tools/make_onnx_fixtures.py)
# and models exported by torch.onnx.export at opsets 14 and 17 against
# PyTorch and ONNX Runtime (tests/onnx/torch/, by tools/make_onnx_exports.py):
# each model imports, the source builds with both backends, and `forward`
# on the test's input (with --lengths for its sequence_lens) gives the
# reference output within the numerics bound (ONNX_BACKENDS narrows the
# backends: the sanitizer pass builds with C only, LLVM's objects not being
# instrumented, and sets ONNX_QUICK=1: it imports the exports without
# building them). Also
# what import refuses: a file that is not ONNX, and graphs beyond what it
# reads or hostile (tests/onnx/refused/), each with a message and exit 1.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/rnnc-onnx.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

for dir in "$here"/node/*/ "$here"/own/*/ "$here"/torch/*/; do
    name=$(basename "$dir")
    lengths=
    [ -f "$dir/lengths.npy" ] && lengths="--lengths $dir/lengths.npy"
    if ! "$rnnc" import "$dir/model.onnx" -o "$tmp/$name.rnn" --weights-out "$tmp/$name.safetensors" 2> "$tmp/err"; then
        bad "$name: import"; cat "$tmp/err"; continue
    fi
    backends=${ONNX_BACKENDS:-c llvm}
    case $dir in */torch/*)
        # an export at opset 14 is the opset-17 one's graph again, with older operators: one backend
        case $name in *_opset14) backends=c ;; esac
        # ONNX_QUICK=1 (the sanitizer pass): the exports imported and their source checked, not built
        if [ "${ONNX_QUICK:-0}" = 1 ]; then
            "$rnnc" check "$tmp/$name.rnn" 2> "$tmp/err" && ok || { bad "$name: the imported source"; cat "$tmp/err"; }
            continue
        fi ;;
    esac
    for backend in $backends; do
        if ! "$rnnc" build "$tmp/$name.rnn" --backend $backend -o "$tmp/prog" 2> "$tmp/err"; then
            bad "$name --backend $backend: build"; cat "$tmp/err"; continue
        fi
        for want in output output_ort; do # an export's output_ort.npy: ONNX Runtime's, beside PyTorch's
            [ -f "$dir/$want.npy" ] || continue
            if "$tmp/prog" forward --weights "$tmp/$name.safetensors" --input "$dir/input.npy" $lengths \
                --expect "$dir/$want.npy" > "$tmp/out" 2>&1; then ok
            else bad "$name --backend $backend: output differs from $want.npy"; cat "$tmp/out"; fi
        done
    done
done

# refused, with a message: not ONNX; an operator outside what import reads
printf 'model m {}\n' > "$tmp/not.onnx"
"$rnnc" import "$tmp/not.onnx" -o "$tmp/x.rnn" 2> "$tmp/err"
[ $? = 1 ] && grep -q "not.onnx: is not an ONNX model" "$tmp/err" && ok || { bad "a text file as ONNX"; cat "$tmp/err"; }
"$rnnc" import /nonexistent.onnx 2> "$tmp/err"
[ $? = 1 ] && grep -q "/nonexistent.onnx: cannot open" "$tmp/err" && ok || { bad "a missing file"; cat "$tmp/err"; }
"$rnnc" import 2> "$tmp/err"
[ $? = 2 ] && grep -q "import needs a MODEL.onnx" "$tmp/err" && ok || { bad "import without a file"; cat "$tmp/err"; }

# refused_file FILE MESSAGE: importing FILE fails with MESSAGE, exit 1, nothing written
refused_file() {
    "$rnnc" import "$1" -o "$tmp/r.rnn" 2> "$tmp/err"
    [ $? = 1 ] && grep -qF -- "$2" "$tmp/err" && [ ! -f "$tmp/r.rnn" ] && ok || { bad "refused $1"; cat "$tmp/err"; }
}
# refused NAME MESSAGE: tests/onnx/refused/NAME.onnx
refused() { refused_file "$here/refused/$1.onnx" "$2"; }
refused reverse_gru "node '/h/GRU' (GRU): runs in direction 'reverse'; rnnc runs forward or bidirectional"
refused thresholded_relu "node '/h/GRU' (GRU): uses the activation 'ThresholdedRelu', which rnnc does not have"
refused relu_after "node '/act/Relu' (Relu): applies an activation to other than a sequence or vector of features"
refused reduce_mean "node '/pool/ReduceMean' (ReduceMean): is an operator rnnc does not import here"
refused cycle "node '/a/Relu' (Relu): reads 'B', which no earlier node, graph input or initializer gives"
refused huge_hidden_size "node '/h/GRU' (GRU): has hidden_size 1099511627776; rnnc reads 1 to 1048576"

# inputs a review of the importer found mishandled (tests/fuzz/regressions/onnx/review-*, also replayed
# under ASan): each refused with its reason
review() { refused_file "$here/../fuzz/regressions/onnx/review-$1" "$2"; }
review mixed "tensor 'W' keeps data in a field its type does not use"
review perm "(Transpose): has a perm that is not a permutation of the axes"
review width "(RNN): has W for inputs of 5 features, but X has 3"
review zero_emb "(Gather): indexes a constant that is not a matrix with rows and columns"
review zero_in "(MatMul): multiplies other than a sequence or vector of features by a constant matrix"
review fanout "(Add): adds other than a bias to a linear layer's product that nothing else reads"
# nodes named after keywords (/output/Relu, ...): the source import writes still checks
for i in 0 1 2 3; do
    "$rnnc" import "$here/../fuzz/regressions/onnx/review-keyword$i" -o "$tmp/k.rnn" --weights-out "$tmp/k.st" 2> "$tmp/err" &&
        "$rnnc" check "$tmp/k.rnn" 2>> "$tmp/err" && ok || { bad "review keyword$i"; cat "$tmp/err"; }
done
echo "onnx: $pass passed, $fail failed"
[ "$fail" = 0 ]
