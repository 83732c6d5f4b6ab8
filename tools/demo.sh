#!/bin/sh
# tools/demo.sh - the main job, from a fresh clone: install what the build
# needs, build rnnc, compile the time-series example into a program, and
# run it: its parameters, a seeded initialisation, a forward pass and the
# loss on the example data. (Training arrives with the BPTT issue.)
set -e
cd "$(dirname "$0")/.."
sh tools/install-deps.sh
make -s
out=build/demo
mkdir -p "$out"
./rnnc build examples/timeseries.rnn -o "$out/timeseries"
"$out/timeseries" info
"$out/timeseries" init --seed 1 -o "$out/timeseries.safetensors"
"$out/timeseries" forward --weights "$out/timeseries.safetensors" \
    --input examples/data/timeseries_x.npy -o "$out/prediction.npy"
echo "wrote $out/prediction.npy"
"$out/timeseries" eval --weights "$out/timeseries.safetensors" \
    --input examples/data/timeseries_x.npy --target examples/data/timeseries_y.npy
