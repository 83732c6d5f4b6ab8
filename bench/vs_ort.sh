#!/bin/sh
# bench/vs_ort.sh [RNNC] - inference against ONNX Runtime (npm
# onnxruntime-node, on NODE_PATH) on the same weights, in one run: one
# recurrent layer (lstm, gru, rnn) at (input, hidden) whose last step is the
# output, exported from PyTorch by torch.onnx.export (bench/torch_export.py)
# and brought into rnnc by `rnnc import`, built with -O3.
# For each row both engines run one whole sequence per call; the time per
# step is the difference between a short and a long sequence divided by the
# difference in steps: batch 1 at 64 and 1088 steps, batch 32 at 16 and 144.
# rnnc: the program's forward, each length the fastest of REPEAT runs
# (default 5). ONNX Runtime (bench/ort_time.js): in-process calls, the
# fastest of REPEAT after warm-up, with 1 and with 2 intra-op threads, the
# better of the two. Before timing, rnnc's outputs are checked against ONNX
# Runtime's within the numerics bound.
# Also the bandwidth limit of each row: the recurrent weights' bytes (read
# once per step) over the read bandwidth of a buffer of that size summed by
# 2 threads (bench/bandwidth.c -b: where the weights fit, cache or memory).
# rnnc seq/s: sequences of the long length per second, from the time per
# step (batch / (time per step x steps)). Where the program's kernels have
# AVX512_BF16, also rnnc with `forward --precision bf16` (checked within 2e-2
# of ONNX Runtime's largest output first) and ONNX Runtime's float32 time
# over it; else "-".
rnnc=${1:-./rnnc}
here=$(cd "$(dirname "$0")" && pwd)
repeat=${REPEAT:-5}
configs=${CONFIGS:-"32,128 64,256 128,512 256,1024"}
cells=${CELLS:-"lstm gru rnn"}
batches=${BATCHES:-"1 32"}
. "$here/timing.sh"
bench_dir ort
if [ -z "$NODE_PATH" ] || [ ! -d "$NODE_PATH/onnxruntime-node" ]; then
    echo "bench: set NODE_PATH to a node_modules holding onnxruntime-node" \
        "(npm install --ignore-scripts onnxruntime-node@1.30.0)" >&2
    exit 1
fi
cc -O3 -march=native -pthread "$here/bandwidth.c" -o "$tmp/bandwidth" || exit 1

# lengths B: the short and long sequence of a batch of B
lengths() { if [ "$1" = 1 ]; then echo "64 1088"; else echo "16 144"; fi; }
# steps B T [--precision P]: rnnc's forward over x_B_T.npy
steps() {
    b=$1 t=$2
    shift 2
    "$tmp/prog" forward --weights "$tmp/w.safetensors" --input "$tmp/x_${b}_$t.npy" "$@" -o "$tmp/y.npy"
}
us() { echo "$1 * 1000000" | bc -l; }

printf '%-5s %-11s %5s %11s %11s %9s %11s %9s %13s %11s %9s\n' cell "(I,H)" batch "rnnc us" "ORT us" "ORT/rnnc" \
    "limit us" "rnnc/lim" "rnnc seq/s" "bf16 us" "ORT/bf16"
for batch in $batches; do
    for cell in $cells; do
        for c in $configs; do
            IFS=, read -r I H <<EOF2
$c
EOF2
            set -- $(lengths "$batch")
            t0=$1 t1=$2
            /usr/bin/python3 "$here/torch_export.py" $cell "$I" "$H" "$tmp" "$batch:$t0" "$batch:$t1" \
                > /dev/null 2> "$tmp/export.err" || { cat "$tmp/export.err" >&2; exit 1; }
            "$rnnc" import "$tmp/model.onnx" -o "$tmp/m.rnn" --weights-out "$tmp/w.safetensors" &&
                "$rnnc" build "$tmp/m.rnn" -O3 -o "$tmp/prog" || exit 1
            ort=
            for threads in 1 2; do
                node "$here/ort_time.js" "$tmp/model.onnx" "$tmp" $threads "$repeat" "$batch:$t0" "$batch:$t1" \
                    > "$tmp/ort" || exit 1
                a=$(sed -n 1p "$tmp/ort" | cut -d' ' -f3) b=$(sed -n 2p "$tmp/ort" | cut -d' ' -f3)
                per=$(echo "($b - $a) / ($t1 - $t0)" | bc -l)
                if [ -z "$ort" ] || [ "$(echo "$per < $ort" | bc -l)" = 1 ]; then ort=$per; fi
            done
            for t in $t0 $t1; do
                "$tmp/prog" forward --weights "$tmp/w.safetensors" --input "$tmp/x_${batch}_$t.npy" \
                    --expect "$tmp/y_ort_${batch}_$t.npy" > "$tmp/check" 2>&1 ||
                    { echo "bench: $cell ($c) batch $batch: rnnc and ONNX Runtime disagree:" >&2; cat "$tmp/check" >&2; exit 1; }
            done
            a=$(fastest steps "$batch" $t0) && b=$(fastest steps "$batch" $t1) || exit 1
            ours=$(echo "($b - $a) / ($t1 - $t0)" | bc -l)
            bf16=- vs_bf16=-
            if "$tmp/prog" forward --weights "$tmp/w.safetensors" --input "$tmp/x_${batch}_$t1.npy" --precision bf16 \
                --expect "$tmp/y_ort_${batch}_$t1.npy" --rtol 2e-2 > "$tmp/check" 2>&1; then
                a=$(fastest steps "$batch" $t0 --precision bf16) && b=$(fastest steps "$batch" $t1 --precision bf16) || exit 1
                per=$(echo "($b - $a) / ($t1 - $t0)" | bc -l)
                bf16=$(printf '%.2f' "$(us "$per")") vs_bf16=$(printf '%.2f' "$(echo "$ort / $per" | bc -l)")
            elif ! grep -q "AVX512_BF16" "$tmp/check"; then
                echo "bench: $cell ($c) batch $batch: --precision bf16 is not within 2e-2 of ONNX Runtime:" >&2
                cat "$tmp/check" >&2
                exit 1
            fi
            gates=$(case $cell in lstm) echo 4 ;; gru) echo 3 ;; *) echo 1 ;; esac)
            bytes=$((gates * H * H * 4))
            gbs=$("$tmp/bandwidth" -b $bytes 2 | cut -d' ' -f1)
            limit=$(echo "$bytes / ($gbs * 1000000000)" | bc -l)
            printf '%-5s %-11s %5d %11.2f %11.2f %9.2f %11.2f %9.2f %13.0f %11s %9s\n' $cell "($c)" "$batch" \
                "$(us "$ours")" "$(us "$ort")" "$(echo "$ort / $ours" | bc -l)" "$(us "$limit")" \
                "$(echo "$ours / $limit" | bc -l)" "$(echo "$batch / ($ours * $t1)" | bc -l)" "$bf16" "$vs_bf16"
        done
    done
done
