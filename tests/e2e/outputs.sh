#!/bin/sh
# tests/e2e/outputs.sh RNNC - what every writer of rnnc and of a generated
# program does with the kind of file its output path names: a regular
# file is replaced (the reference output here); a symbolic link is written
# through (the link stays, its final target gets the output); a device
# node (made with mknod in a temporary directory, the null device's
# numbers) and a FIFO with a reader are written in place, never replaced
# or removed, and no PATH.tmp is left. Writers: rnnc emit (text targets,
# embedded C), rnnc build, and the program's init, forward, grad, train's
# result and its checkpoint. make test runs this plainly and under ASan +
# UBSan. Skipped, saying so, where mknod is not allowed (not root).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
if ! mknod "$tmp/probe" c 1 3 2> /dev/null; then
    echo "outputs: skipped (mknod needs root)"
    exit 0
fi
rm -f "$tmp/probe"

"$rnnc" build examples/timeseries.rnn -o "$tmp/ts" || { echo "FAIL build"; exit 1; }
data="--input examples/data/timeseries_x.npy --target examples/data/timeseries_y.npy"
"$tmp/ts" init --seed 2 -o "$tmp/w.safetensors" || { echo "FAIL init"; exit 1; }
w=$tmp/w.safetensors

# check WHAT COMMAND... with @OUT@ standing for the output path: run it
# with @OUT@ a regular file (the reference), a symbolic link, a device node
# and a FIFO with a reader, and compare.
check() {
    what=$1
    shift
    d=$tmp/case
    rm -rf "$d" && mkdir "$d"
    run "$d/regular" "$@" || { bad "$what: regular file"; return; }
    # a symbolic link to a link to a file in another directory: written through
    mkdir "$d/real" && echo old > "$d/real/file" && ln -s real/file "$d/link1" && ln -s link1 "$d/link"
    run "$d/link" "$@" || bad "$what: through a symbolic link"
    if [ -L "$d/link" ] && [ -L "$d/link1" ] && same "$d/regular" "$d/real/file"; then ok; else
        bad "$what: the link was replaced, or its target not written"
    fi
    # a dangling link: its target is created
    ln -s real/new "$d/dangling"
    run "$d/dangling" "$@" && [ -L "$d/dangling" ] && same "$d/regular" "$d/real/new" && ok ||
        bad "$what: through a dangling symbolic link"
    mknod "$d/dev" c 1 3
    run "$d/dev" "$@" || bad "$what: into a device node"
    [ -c "$d/dev" ] && [ ! -e "$d/dev.tmp" ] && ok || bad "$what: the device node was replaced or removed"
    [ "$nofifo" = 1 ] && return
    mkfifo "$d/fifo"
    cat "$d/fifo" > "$d/from_fifo" &
    reader=$!
    run "$d/fifo" "$@" || bad "$what: into a FIFO"
    wait $reader
    [ -p "$d/fifo" ] && [ ! -e "$d/fifo.tmp" ] && same "$d/regular" "$d/from_fifo" && ok ||
        bad "$what: the FIFO was replaced, or its reader did not get the output"
}

# run OUT COMMAND...: COMMAND with @OUT@ replaced by OUT
run() {
    out=$1
    shift
    cmd=
    for a in "$@"; do
        [ "$a" = @OUT@ ] && a=$out
        cmd="$cmd '$a'"
    done
    eval "$cmd" > /dev/null 2> "$tmp/err" || { cat "$tmp/err"; return 1; }
}

# same A B: the outputs agree (byte for byte; executables, which hold their
# source file's name, by what they print)
same() { cmp -s "$1" "$2"; }
nofifo=
for target in c ir llvm-ir adjoint; do
    check "emit --target $target" "$rnnc" emit examples/peephole.rnn --target $target -o @OUT@
done
check "emit --target prelude" "$rnnc" emit --target prelude -o @OUT@
same() { chmod +x "$2" && [ "$("$1" info)" = "$("$2" info)" ]; }
check "build" "$rnnc" build examples/timeseries.rnn -o @OUT@
same() { cmp -s "$1" "$2"; }
check "init" "$tmp/ts" init --seed 3 -o @OUT@
check "forward" "$tmp/ts" forward --weights "$w" --input examples/data/timeseries_x.npy -o @OUT@
check "grad" "$tmp/ts" grad --weights "$w" $data -o @OUT@
check "train" "$tmp/ts" train --weights "$w" $data --epochs 1 --batch 8 --checkpoint "$tmp/ck" -o @OUT@
# a checkpoint is written several times (a FIFO's reader sees one)
nofifo=1
check "train --checkpoint" "$tmp/ts" train --weights "$w" $data --epochs 1 --batch 8 --checkpoint-every 2 \
    --checkpoint @OUT@ -o "$tmp/trained"

# embedded C: NAME.h a symbolic link, NAME.c a device node, in DIR
"$rnnc" emit examples/timeseries.rnn --target embedded --weights "$w" -o "$tmp/emb_ref" || bad "emit embedded"
mkdir -p "$tmp/emb" && echo old > "$tmp/emb_h" && ln -s ../emb_h "$tmp/emb/timeseries.h" &&
    mknod "$tmp/emb/timeseries.c" c 1 3
"$rnnc" emit examples/timeseries.rnn --target embedded --weights "$w" -o "$tmp/emb" 2> "$tmp/err" ||
    { bad "emit embedded into a link and a device"; cat "$tmp/err"; }
[ -L "$tmp/emb/timeseries.h" ] && cmp -s "$tmp/emb_h" "$tmp/emb_ref/timeseries.h" && ok ||
    bad "emit embedded: NAME.h's link was replaced, or its target not written"
[ -c "$tmp/emb/timeseries.c" ] && ok || bad "emit embedded: NAME.c's device node was replaced"

report outputs
