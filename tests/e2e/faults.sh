#!/bin/sh
# tests/e2e/faults.sh RNNC - I/O faults while writing: a full disk
# or a file-size limit while a generated program saves a checkpoint, its
# weights, a gradient file or an npy output, and while rnnc writes what it
# emits. Every one must exit non-zero with the reason and leave the
# previous file byte for byte as it was. The full disk is injected for one
# file at a time: its temporary name (PATH.tmp, which every writer here
# fills before renaming it over PATH) is made a symlink to /dev/full. train
# tries its output paths first (removing PATH.tmp), so there the failure is
# an fsync that fails with EIO (tests/tools/fault_shim.c, preloaded).
# make test runs this plainly and under ASan + UBSan.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shim=$(dirname "$rnnc")/tests/fault_shim.so
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d /tmp/rnnc-faults.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

"$rnnc" build examples/timeseries.rnn -o "$tmp/ts" || { echo "FAIL build"; exit 1; }
data="--input examples/data/timeseries_x.npy --target examples/data/timeseries_y.npy"
train="train $data --seed 1 --epochs 1 --checkpoint-every 2"
"$tmp/ts" $train -o "$tmp/w" --checkpoint "$tmp/c" 2> /dev/null || bad "a first run"
cp "$tmp/w" "$tmp/w.before" && cp "$tmp/c" "$tmp/c.before"

# expect_failure WHAT REASON: the last command failed, saying REASON
expect_failure() {
    [ $status -ne 0 ] && ok || bad "$1: exit status 0"
    grep -q "$2" "$tmp/err" && ok || { bad "$1: the message does not say '$2'"; cat "$tmp/err"; }
}

# full FILE WHAT COMMAND...: COMMAND writes FILE on a full disk
full() {
    file=$1 what=$2
    shift 2
    ln -sf /dev/full "$file.tmp"
    "$@" > "$tmp/out" 2> "$tmp/err"
    status=$?
    expect_failure "$what" "No space left on device"
    [ ! -e "$file.tmp" ] && ok || bad "$what: the temporary file was left behind"
}

# lost SUFFIX WHAT COMMAND...: COMMAND's fsync of a file ending in SUFFIX fails
lost() {
    suffix=$1 what=$2
    shift 2
    RNNC_FAULT_SUFFIX=$suffix LD_PRELOAD=$shim ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0 \
        "$@" > "$tmp/out" 2> "$tmp/err"
    status=$?
    expect_failure "$what" "Input/output error"
}

lost "/c.tmp" "checkpoint" "$tmp/ts" $train -o "$tmp/w2" --checkpoint "$tmp/c"
cmp -s "$tmp/c" "$tmp/c.before" && ok || bad "checkpoint: the previous checkpoint changed"
[ ! -e "$tmp/w2" ] && ok || bad "checkpoint: training went on after the failed checkpoint"
grep -q "previous file, if any, is unchanged" "$tmp/err" && ok || bad "checkpoint: the message should say the old file is kept"
[ ! -e "$tmp/c.tmp" ] && ok || bad "checkpoint: the temporary file was left behind"

lost "/w.tmp" "weights" "$tmp/ts" $train -o "$tmp/w" --checkpoint "$tmp/c2"
cmp -s "$tmp/w" "$tmp/w.before" && ok || bad "weights: the previous weights changed"

"$tmp/ts" grad --weights "$tmp/w" $data -o "$tmp/g" > /dev/null || bad "grad"
cp "$tmp/g" "$tmp/g.before"
full "$tmp/g" "grad" "$tmp/ts" grad --weights "$tmp/w" $data -o "$tmp/g"
cmp -s "$tmp/g" "$tmp/g.before" && ok || bad "grad: the previous file changed"

"$tmp/ts" forward --weights "$tmp/w" --input examples/data/timeseries_x.npy -o "$tmp/y.npy" || bad "forward"
cp "$tmp/y.npy" "$tmp/y.before"
full "$tmp/y.npy" "forward" "$tmp/ts" forward --weights "$tmp/w" --input examples/data/timeseries_x.npy -o "$tmp/y.npy"
cmp -s "$tmp/y.npy" "$tmp/y.before" && ok || bad "forward: the previous output changed"

full "$tmp/w" "init" "$tmp/ts" init --seed 3 -o "$tmp/w"
cmp -s "$tmp/w" "$tmp/w.before" && ok || bad "init: the previous weights changed"

# a file-size limit (EFBIG, with SIGXFSZ ignored as a shell's trap does)
# smaller than a checkpoint: the first checkpoint fails, the old one stays
(
    trap '' XFSZ
    ulimit -f 8 # 8 KiB: the weights (~13 KiB) and checkpoints (~40 KiB) do not fit
    "$tmp/ts" $train -o "$tmp/w3" --checkpoint "$tmp/c" 2> "$tmp/err"
)
status=$?
expect_failure "file-size limit" "File too large"
cmp -s "$tmp/c" "$tmp/c.before" && ok || bad "file-size limit: the previous checkpoint changed"

# rnnc itself, on a full disk
"$rnnc" emit examples/timeseries.rnn --target c -o /dev/full 2> "$tmp/err"
[ $? -eq 1 ] && ok || bad "rnnc emit on a full disk: exit status should be 1"
grep -q "error" "$tmp/err" && ok || { bad "rnnc emit on a full disk: no message"; cat "$tmp/err"; }

echo "faults: $pass passed, $fail failed"
[ $fail -eq 0 ]
