#!/bin/sh
# tests/onnx/export/models.sh - the models whose ONNX export is checked, a
# line each: NAME SOURCE WEIGHTS, paths from the repository's root. WEIGHTS
# is "-" where the program's `init --seed 3` gives them. Read by
# tools/make_onnx_export_checks.py and tests/onnx/export.sh.
cd "$(dirname "$0")/../../.."
for d in tests/parity/fixtures/*/; do
    d=${d%/}
    echo "$(basename "$d") $d/model.rnn $d/weights.safetensors"
done
for f in examples/*.rnn tests/onnx/export/*.rnn; do
    echo "$(basename "$f" .rnn) $f -"
done
