#!/bin/sh
# tools/demo.sh - the main job, from a fresh clone: install what the build
# needs, build rnnc, compile the time-series example into a program, train
# it on the example data, and show the loss before and after training.
# (sh tools/charlm.sh trains the character model: a few minutes.)
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
make -s
out=build/demo
mkdir -p "$out"
data="--input examples/data/timeseries_x.npy --target examples/data/timeseries_y.npy"
./rnnc build examples/timeseries.rnn -o "$out/timeseries"
"$out/timeseries" info
"$out/timeseries" init --seed 1 -o "$out/initial.safetensors"
echo "before training:"
"$out/timeseries" eval --weights "$out/initial.safetensors" $data
"$out/timeseries" train --seed 1 $data -o "$out/trained.safetensors"
echo "after training (20 epochs of adam, as its train block says):"
"$out/timeseries" eval --weights "$out/trained.safetensors" $data
"$out/timeseries" forward --weights "$out/trained.safetensors" --input examples/data/timeseries_x.npy \
    -o "$out/prediction.npy"
echo "predictions written to $out/prediction.npy"
