#!/bin/sh
# tests/parity/torch_load.sh RNNC - weights written by `train` load into
# PyTorch with a strict load_state_dict and compute what `forward` computes.
# Runs where Debian's python3-torch is installed (as tools/make_fixtures.py
# needs); elsewhere it says it was skipped.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
if ! /usr/bin/python3 -c "import torch" 2> /dev/null; then
    echo "torch load: skipped (python3-torch is not installed)"
    exit 0
fi
tmp=$(mktemp -d /tmp/rnnc-torch.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fx=$here/fixtures/lstm_bidirectional_two_layers_ce
"$rnnc" build "$fx/model.rnn" -o "$tmp/prog" &&
    "$tmp/prog" train --weights "$fx/weights.safetensors" --input "$fx/input.npy" --target "$fx/target.npy" \
        --epochs 3 --batch 2 --valid 0 -o "$tmp/trained.safetensors" 2> /dev/null &&
    "$tmp/prog" forward --weights "$tmp/trained.safetensors" --input "$fx/input.npy" -o "$tmp/out.npy" &&
    ! cmp -s "$tmp/trained.safetensors" "$fx/weights.safetensors" &&
    /usr/bin/python3 "$here/load_in_torch.py" "$tmp/trained.safetensors" "$fx/input.npy" "$tmp/out.npy"
status=$?
[ $status = 0 ] && echo "torch load: 1 passed, 0 failed" || echo "torch load: 0 passed, 1 failed"
exit $status
