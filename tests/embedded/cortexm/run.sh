#!/bin/sh
# tests/embedded/cortexm/run.sh RNNC - embedded C on a Cortex-M4: each model
# is emitted with --no-libm (so the firmware links with nothing but libgcc),
# built with arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard
# -mfpu=fpv4-sp-d16 and the strict warnings, run under qemu-system-arm on
# the mps2-an386 board with semihosting, and its outputs for the first
# sequence compared with the host's forward program (the numerics bound, docs/programs.md). The
# models: parity fixtures, examples, and exports of PyTorch brought in by rnnc
# import. The plain (libm) variant is compiled for the Cortex-M too. Skipped, saying so,
# where the ARM toolchain or QEMU is missing.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build=$(dirname "$rnnc")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if ! command -v arm-none-eabi-gcc > /dev/null || ! command -v qemu-system-arm > /dev/null; then
    echo "cortex-m: skipped (install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
    exit 0
fi
tmp=$(mktemp -d /tmp/rnnc-cortexm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cpu="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
arm="arm-none-eabi-gcc $cpu -std=c99 -pedantic -Wall -Wextra -Werror -O2"
board="arm-none-eabi-gcc $cpu -std=gnu99 -Wall -Wextra -Werror -O2 -fno-tree-loop-distribute-patterns" # GNU C for asm
cc -O2 -I"$root/runtime" -o "$tmp/tool" "$here/tool.c" "$build/librnnrt.a" -lm -pthread || exit 2
pass=0 fail=0

# run NAME MODEL.rnn WEIGHTS INPUT.npy
run() {
    name=$1 rnn=$2 weights=$3 input=$4
    out=$tmp/$name
    mkdir -p "$out"
    "$rnnc" emit "$rnn" --target embedded --weights "$weights" -o "$out/libm" &&
        "$rnnc" emit "$rnn" --target embedded --weights "$weights" --no-libm -o "$out/nolibm" ||
        { echo "FAIL $name: emit"; fail=$((fail + 1)); return; }
    h=$(ls "$out"/nolibm/*.h)
    model=$(basename "$h" .h)
    flags="-DMODEL=$model -include $h"
    grep -q "_VOCAB_SIZE" "$h" && flags="$flags -DTOKENS"
    grep -q "_MAX_STEPS" "$h" && flags="$flags -DBIDIRECTIONAL"
    grep -q "^ *target.*: *seq " "$rnn" && flags="$flags -DSEQ_OUTPUT"
    "$tmp/tool" input "$input" > "$out/input.h" || { fail=$((fail + 1)); return; }
    if $arm -c "$out/libm/$model.c" -o "$out/libm.o" 2> "$out/err" &&
        $arm -c "$out/nolibm/$model.c" -o "$out/model.o" 2>> "$out/err" &&
        $arm $flags -I"$out" -c "$here/firmware.c" -o "$out/firmware.o" 2>> "$out/err" &&
        $board -c "$here/startup.c" -o "$out/startup.o" 2>> "$out/err" &&
        $arm -nostdlib -T "$here/link.ld" -o "$out/fw.elf" "$out/startup.o" "$out/firmware.o" "$out/model.o" -lgcc \
            2>> "$out/err"; then
        :
    else
        echo "FAIL $name: Cortex-M build"; head -5 "$out/err"; fail=$((fail + 1)); return
    fi
    timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
        -semihosting-config enable=on,target=native -kernel "$out/fw.elf" > "$out/out.txt" 2>&1
    "$rnnc" build "$rnn" -o "$out/prog" && "$out/prog" forward --weights "$weights" --input "$input" -o "$out/y.npy"
    if "$tmp/tool" compare "$out/y.npy" "$out/out.txt" > "$out/cmp"; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: the Cortex-M's outputs differ from the host's"; cat "$out/cmp"; head -5 "$out/out.txt"
        fail=$((fail + 1))
    fi
    arm-none-eabi-size "$out/fw.elf" "$out/libm.o" "$out/model.o" | sed "s|$out/||" > "$out/size"
    echo "cortex-m: $name: $(cat "$out/cmp")"
}

for fixture in lstm_two_layers gru_last_classifier user_cell_peephole; do
    dir=$root/tests/parity/fixtures/$fixture
    run "$fixture" "$dir/model.rnn" "$dir/weights.safetensors" "$dir/input.npy"
done
for example in sensors timeseries peephole classifier charlm; do
    "$rnnc" build "$root/examples/$example.rnn" -o "$tmp/init" && "$tmp/init" init --seed 3 -o "$tmp/w_$example.safetensors"
    run "$example" "$root/examples/$example.rnn" "$tmp/w_$example.safetensors" "$root/examples/data/${example}_x.npy"
    [ -f "$tmp/$example/size" ] && sed "s/^/cortex-m: size: /" "$tmp/$example/size"
done
# models that came in through rnnc import (torch.onnx.export's files, tests/onnx/torch/)
for export in gru_2x_bidirectional_opset17 sensors_opset14; do
    dir=$root/tests/onnx/torch/$export
    if "$rnnc" import "$dir/model.onnx" -o "$tmp/$export.rnn" --weights-out "$tmp/$export.safetensors"; then
        run "imported_$export" "$tmp/$export.rnn" "$tmp/$export.safetensors" "$dir/input.npy"
    else
        echo "FAIL imported_$export: import"; fail=$((fail + 1))
    fi
done
echo "cortex-m: $pass passed, $fail failed"
[ "$fail" = 0 ]
