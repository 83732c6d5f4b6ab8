#!/bin/sh
# tests/tools/compare_builds.sh OLD_RNNC NEW_RNNC - do two compilers give
# programs with the same bits? For every parity fixture and every example,
# with both backends at -O2, the forward outputs and the gradients of the
# programs each rnnc builds must be byte for byte the same (for a change
# that should not move a single bit: a refactoring, a new op that no model
# here uses). Data with sequence lengths (a fixture's lengths.npy, an
# example's NAME_lengths.npy) runs with --lengths. Prints one line per
# difference and a summary; exit 1 on any.
old=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
new=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d /tmp/rnnc-compare.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
same=0 differ=0
# compare NAME MODEL WEIGHTS INPUT TARGET
compare() {
    for backend in c llvm; do
        for which in old new; do
            rnnc=$old
            [ $which = new ] && rnnc=$new
            "$rnnc" build "$2" --backend $backend -o "$tmp/$which" || { echo "$1 $backend: $which build failed"; differ=$((differ + 1)); return; }
            "$tmp/$which" forward --weights "$3" --input "$4" $lengths -o "$tmp/$which.y.npy" &&
                "$tmp/$which" grad --weights "$3" --input "$4" --target "$5" $lengths -o "$tmp/$which.g.safetensors" > "$tmp/$which.loss" ||
                { echo "$1 $backend: $which program failed"; differ=$((differ + 1)); return; }
        done
        for f in y.npy g.safetensors loss; do
            if cmp -s "$tmp/old.$f" "$tmp/new.$f"; then same=$((same + 1)); else echo "$1 $backend: $f differs"; differ=$((differ + 1)); fi
        done
    done
}
for dir in tests/parity/fixtures/*/; do
    lengths=
    [ -f "$dir/lengths.npy" ] && lengths="--lengths $dir/lengths.npy"
    compare "$(basename "$dir")" "$dir/model.rnn" "$dir/weights.safetensors" "$dir/input.npy" "$dir/target.npy"
done
for example in examples/*.rnn; do
    base=$(basename "$example" .rnn)
    lengths=
    [ -f "examples/data/${base}_lengths.npy" ] && lengths="--lengths examples/data/${base}_lengths.npy"
    "$old" build "$example" -o "$tmp/init" && "$tmp/init" init --seed 3 -o "$tmp/w_$base.safetensors" > /dev/null
    compare "$base" "$example" "$tmp/w_$base.safetensors" "examples/data/${base}_x.npy" "examples/data/${base}_y.npy"
done
echo "compare builds: $same the same, $differ different"
[ "$differ" = 0 ]
