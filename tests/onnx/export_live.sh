#!/bin/sh
# tests/onnx/export_live.sh RNNC - emit --target onnx checked live (make
# test-slow): tools/make_onnx_export_checks.py exports every model into a
# scratch directory, runs onnx.checker.check_model(full_check=True) and ONNX
# Runtime on each, and compares ONNX Runtime's output with forward's within
# the numerics bound; then each export must be the very file whose checks
# are committed (tests/onnx/export/checks/NAME/model.sha256). Needs Debian's
# python3-onnx and onnxruntime-node on NODE_PATH (.ci/run installs both).
rnnc=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$NODE_PATH" ] || [ ! -d "$NODE_PATH/onnxruntime-node" ] || ! /usr/bin/python3 -c "import onnx" 2> /dev/null; then
    echo "onnx export live: needs python3-onnx and onnxruntime-node on NODE_PATH" >&2
    exit 1
fi
/usr/bin/python3 "$here/../../tools/make_onnx_export_checks.py" "$rnnc" "$work" > "$work/log" 2>&1 ||
    { cat "$work/log"; echo "onnx export live: FAILED"; exit 1; }
n=0 stale=0
for d in "$work"/*/; do
    name=$(basename "$d")
    n=$((n + 1))
    cmp -s "$d/model.sha256" "$here/export/checks/$name/model.sha256" ||
        { echo "FAIL: $name: the committed checks are of another export (rerun tools/make_onnx_export_checks.py)"; stale=$((stale + 1)); }
done
echo "onnx export live: $n models checked by onnx.checker and ONNX Runtime, $stale stale"
[ "$stale" = 0 ]
