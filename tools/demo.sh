#!/bin/sh
# tools/demo.sh - the main job, from a fresh clone: install what the build
# needs, build rnnc, and check the example models, printing what rnnc
# derived for the character language model (layers, PyTorch parameter
# names and shapes).
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
make -s
for model in examples/*.rnn; do
    ./rnnc check "$model"
    echo "checked $model"
done
./rnnc check -d model examples/charlm.rnn
