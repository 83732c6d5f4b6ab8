#!/bin/sh
# bench/inference.sh [RNNC] - inference time per time step at batch 1, rnnc
# against PyTorch 1.13 (Debian python3-torch, 2 threads) on the same machine
# in one run: one recurrent layer (lstm, gru, rnn) at (input, hidden).
# PyTorch: the nn module called once per step with its state, under no_grad
# (bench/torch_infer.py). rnnc: the program's forward on an input [1, T, I],
# for a model that outputs last(h), so that only the input grows with T;
# time per step = the difference between two lengths (the longer one lasting
# about TARGET_S seconds more, default 0.4), divided by the difference in
# steps; each length is timed as the fastest of REPEAT runs (default 5).
# Also prints the parameters' bytes, whether they fit in a 1 MiB L2, the
# bandwidth limit (bytes / the read bandwidth of bench/probes.sh, 2 threads,
# taken from READ_GBS or measured here) and rnnc's time over that limit.
# Goals: >= 10x PyTorch where the weights fit in 1 MiB, within 2x
# of the bandwidth limit at every size; the last column says whether each
# row meets them.
rnnc=${1:-./rnnc}
here=$(cd "$(dirname "$0")" && pwd)
repeat=${REPEAT:-5}
target=${TARGET_S:-0.4}
configs=${CONFIGS:-"32,128 64,256 128,512 256,1024"}
. "$here/timing.sh"
bench_dir inf

if [ -z "$READ_GBS" ]; then
    eval "$("$here/probes.sh" bandwidth)" || exit 1
    echo "read bandwidth: $READ_GBS GB/s with 2 threads ($READ_GBS_1 with 1), summing $READ_MIB MiB (4 x L3)"
fi

# input T...: write x_T.npy, an input of T steps, for each T not written yet
input() {
    for n in "$@"; do
        [ -f "$tmp/x_$n.npy" ] || /usr/bin/python3 "$here/torch_infer.py" - "$I" 0 "$tmp" "$n" || exit 1
    done
}
# steps T: forward over x_T.npy
steps() { "$tmp/prog" forward --weights "$tmp/w.safetensors" --input "$tmp/x_$1.npy" -o "$tmp/y.npy"; }

printf '%-5s %-11s %10s %10s %9s %10s %4s %10s %9s %5s\n' cell "(I,H)" "torch us" "rnnc us" speed-up \
    "weight B" L2 "limit us" rnnc/lim goals
for cell in lstm gru rnn; do
    for c in $configs; do
        IFS=, read -r I H <<EOF2
$c
EOF2
        torch=$(/usr/bin/python3 "$here/torch_infer.py" $cell $I $H) || exit 1
        printf 'model m {\n input x : seq vector(%d)\n target y : vector(%d)\n h = %s(x, hidden=%d)\n f = last(h)\n loss mse(f, y)\n}\n' \
            $I $H $cell $H > "$tmp/m.rnn"
        rm -f "$tmp"/x_*.npy
        "$rnnc" build "$tmp/m.rnn" -O3 -o "$tmp/prog" || exit 1
        "$tmp/prog" init --seed 1 -o "$tmp/w.safetensors" || exit 1
        bytes=$("$tmp/prog" info | sed -n 's/^parameters:.*(\([0-9]*\) bytes.*/\1/p')
        # calibrate: grow the long length until it takes a tenth of $target s
        # more than the short one, then scale it to take about $target s more
        n0=16 n1=18 d=0
        while input $n0 $n1 && b=$(once steps $n1) && a=$(once steps $n0) || exit 1
            d=$(echo "$b - $a" | bc -l)
            [ "$(echo "$d < $target / 10 && $n1 < 500000" | bc -l)" = 1 ]; do
            n1=$((n0 + (n1 - n0) * 8))
        done
        n1=$(echo "d = $d; if (d < 0.001) d = 0.001; n = $n0 + ($n1 - $n0) * $target / d; \
            if (n < $n0 + 32) n = $n0 + 32; if (n > 4000000) n = 4000000; scale = 0; n / 1" | bc -l)
        input $n1 && a=$(fastest steps $n0) && b=$(fastest steps $n1) || exit 1
        ours=$(echo "($b - $a) / ($n1 - $n0)" | bc -l)
        limit=$(echo "$bytes / ($READ_GBS * 1000000000)" | bc -l)
        l2=no goals=ok
        [ "$bytes" -le 1048576 ] && l2=yes
        [ "$l2" = yes ] && [ "$(echo "$torch / $ours < 10" | bc -l)" = 1 ] && goals=no
        [ "$(echo "$ours / $limit > 2" | bc -l)" = 1 ] && goals=no
        printf '%-5s %-11s %10.2f %10.2f %9.2f %10d %4s %10.2f %9.2f %5s\n' $cell "($c)" \
            "$(echo "$torch * 1000000" | bc -l)" "$(echo "$ours * 1000000" | bc -l)" "$(echo "$torch / $ours" | bc -l)" \
            "$bytes" $l2 "$(echo "$limit * 1000000" | bc -l)" "$(echo "$ours / $limit" | bc -l)" $goals
    done
done
