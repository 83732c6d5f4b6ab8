#!/bin/sh
# bench/backends.sh [RNNC] - the LLVM backend's speed as a ratio to the C
# backend's, on every example, in one run on this machine: forward over the
# example's data set and a short training run (a fixed number of epochs;
# --text for the character model). Each figure is the fastest of REPEAT
# runs (default 3); ratios < 1 mean LLVM is faster. Absolute times on a
# shared machine are noise: read the ratios.
rnnc=${1:-./rnnc}
repeat=${REPEAT:-3}
. "$(dirname "$0")/timing.sh"
bench_dir backends
cat /usr/share/common-licenses/GPL-3 > "$tmp/corpus.txt"

printf '%-12s %12s %12s %8s %12s %12s %8s\n' model "C fwd s" "LLVM fwd s" ratio "C train s" "LLVM train s" ratio
for model in examples/*.rnn; do
    name=$(basename "$model" .rnn)
    x=examples/data/${name}_x.npy y=examples/data/${name}_y.npy
    for backend in c llvm; do
        "$rnnc" build "$model" --backend $backend -o "$tmp/$backend" || exit 1
        "$tmp/$backend" init --seed 1 -o "$tmp/w.safetensors"
        eval "fwd_$backend=\$(fastest \"\$tmp/\$backend\" forward --weights \"\$tmp/w.safetensors\" --input \"\$x\" -o \"\$tmp/y.npy\")"
        if [ "$name" = charlm ]; then
            eval "train_$backend=\$(fastest \"\$tmp/\$backend\" train --text \"\$tmp/corpus.txt\" --epochs 1 --batch 16 -o \"\$tmp/t.safetensors\")"
        else
            eval "train_$backend=\$(fastest \"\$tmp/\$backend\" train --input \"\$x\" --target \"\$y\" --epochs 3 -o \"\$tmp/t.safetensors\")"
        fi
    done
    printf '%-12s %12.3f %12.3f %8.2f %12.3f %12.3f %8.2f\n' "$name" "$fwd_c" "$fwd_llvm" \
        "$(echo "$fwd_llvm / $fwd_c" | bc -l)" "$train_c" "$train_llvm" "$(echo "$train_llvm / $train_c" | bc -l)"
done
