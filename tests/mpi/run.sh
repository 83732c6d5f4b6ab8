#!/bin/sh
# tests/mpi/run.sh RNNC - data-parallel training under Open MPI
# (docs/mpi.md), in `make test-slow`:
#   - every example, built with --mpi and trained for 20 SGD steps on
#     global batches of 5 (which 2 does not divide; some last batches leave
#     a rank without a sequence), ends under -np 2 and -np 3 at the weights
#     of -np 1 within the numerics bound (docs/programs.md). The runs differ only in the
#     order of the sums (each rank's gradient sums, then the sum over
#     ranks) and in float rounding of the per-rank scaling;
#   - two -np 2 runs with one seed are bit-identical, and a --mpi program
#     started without mpirun gives the bits of a program built without it;
#   - `grad` under -np 2 (the all-reduced gradients of one step) agrees
#     with -np 1 within the numerics bound;
#   - a -np 2 run killed mid-epoch (SIGKILL to one rank) exits non-zero
#     within seconds with mpirun's message, its last checkpoint intact,
#     and that checkpoint resumes under -np 1 and -np 3 to the weights of
#     an uninterrupted run, within the same bound;
#   - with --lengths, training (truncated windows) and grad agree the same way;
#   - a program built without --mpi does not link MPI, and warns (once)
#     when mpirun starts several copies of it.
# As root in a container Open MPI needs the OMPI_ALLOW_RUN_AS_ROOT pair, and
# its shared-memory transport no single-copy mechanism (CMA is not allowed).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
compare=$root/$(dirname "$1")/tests/st_compare
[ -x "$compare" ] || compare=$root/build/tests/st_compare
command -v mpirun > /dev/null || { echo "FAIL mpirun not found (Debian: openmpi-bin libopenmpi-dev)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export RNNC_THREADS=1
tmp=$(mktemp -d /tmp/rnnc-mpi.XXXXXX)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
run() { mpirun --oversubscribe -np "$@"; }
close() { "$compare" "$1" "$2" > "$tmp/cmp" || { cat "$tmp/cmp"; return 1; }; }

# example: flags giving 20 steps of global batches of 5
flags_of() {
    case $1 in
    charlm) echo "--valid 0 --epochs 5" ;;        # 16 sequences: batches 5 5 5 1
    sensors) echo "--valid 0.5 --epochs 2" ;;     # 48 training sequences
    peephole) echo "--valid 0.25 --epochs 2 --bptt 15" ;; # 24: 5 batches x 2 windows
    *) echo "--valid 0.25 --epochs 2" ;;          # 48 training sequences
    esac
}

for ex in charlm classifier peephole sensors timeseries; do
    "$rnnc" build "examples/$ex.rnn" --mpi -o "$tmp/$ex" || { bad "$ex: build --mpi"; continue; }
    train="train --input examples/data/${ex}_x.npy --target examples/data/${ex}_y.npy --seed 4 --optimizer sgd --lr 0.1 --batch 5 $(flags_of $ex)"
    "$tmp/$ex" $train -o "$tmp/$ex.1" 2> "$tmp/log1" || { bad "$ex: -np 1"; cat "$tmp/log1"; continue; }
    grep -q "step 20/20" "$tmp/log1" && ok || bad "$ex: not 20 steps: $(tail -1 "$tmp/log1")"
    for n in 2 3; do
        run $n "$tmp/$ex" $train -o "$tmp/$ex.$n" 2> "$tmp/log$n" || { bad "$ex: -np $n"; cat "$tmp/log$n"; continue; }
        close "$tmp/$ex.$n" "$tmp/$ex.1" && ok || bad "$ex: -np $n differs from -np 1"
    done
    [ "$(grep -c 'validation' "$tmp/log2")" = "$(grep -c 'validation' "$tmp/log1")" ] && ok ||
        bad "$ex: rank 0 alone should print (validation lines differ in number)"
done

# the same bits: two -np 2 runs; a --mpi program without mpirun = a plain one
ex=timeseries
train="train --input examples/data/${ex}_x.npy --target examples/data/${ex}_y.npy --seed 4 --optimizer sgd --lr 0.1 --batch 5 $(flags_of $ex)"
run 2 "$tmp/$ex" $train -o "$tmp/again" 2> /dev/null
cmp -s "$tmp/again" "$tmp/$ex.2" && ok || bad "two -np 2 runs with one seed differ"
"$rnnc" build "examples/$ex.rnn" -o "$tmp/plain" || bad "plain build"
"$tmp/plain" $train -o "$tmp/plain.w" 2> /dev/null
cmp -s "$tmp/plain.w" "$tmp/$ex.1" && ok || bad "--mpi without mpirun differs from a program built without --mpi"
if readelf -d "$tmp/plain" | grep NEEDED | grep -qi mpi; then bad "a plain program links MPI"; else ok; fi
run 2 "$tmp/plain" info > /dev/null 2> "$tmp/err"
[ "$(grep -c 'built without --mpi' "$tmp/err")" = 1 ] && ok || bad "a plain program under mpirun should warn once"

# grad: the all-reduced gradients of one step (the 64 sequences on 2 ranks)
"$tmp/$ex" init --seed 2 -o "$tmp/w0" || bad "init"
g="grad --weights $tmp/w0 --input examples/data/${ex}_x.npy --target examples/data/${ex}_y.npy"
"$tmp/$ex" $g -o "$tmp/g1" > "$tmp/l1" || bad "grad -np 1"
run 2 "$tmp/$ex" $g -o "$tmp/g2" > "$tmp/l2" || bad "grad -np 2"
close "$tmp/g2" "$tmp/g1" && ok || bad "grad: -np 2 differs from -np 1"
[ "$(wc -l < "$tmp/l2")" = 1 ] && ok || bad "grad -np 2 should print one loss line"

# variable-length sequences: lengths travel with their sequences to the
# ranks; training with windows (some past a sequence's end) and grad under
# -np 2 agree with -np 1
python3 "$root/tests/tools/npy.py" "$tmp/len.npy" '<i8' \
    "$(python3 -c 'import random; random.seed(3); print([random.randint(1, 50) for _ in range(64)])')"
lt="train --input examples/data/${ex}_x.npy --target examples/data/${ex}_y.npy --lengths $tmp/len.npy --seed 4 --optimizer sgd --lr 0.1 --batch 5 --bptt 20 --valid 0.25 --epochs 1"
"$tmp/$ex" $lt -o "$tmp/len1" 2> /dev/null || bad "lengths: -np 1"
run 2 "$tmp/$ex" $lt -o "$tmp/len2" 2> /dev/null || bad "lengths: -np 2"
close "$tmp/len2" "$tmp/len1" && ok || bad "lengths: training under -np 2 differs from -np 1"
"$tmp/$ex" $g --lengths "$tmp/len.npy" -o "$tmp/lg1" > /dev/null || bad "lengths: grad -np 1"
run 2 "$tmp/$ex" $g --lengths "$tmp/len.npy" -o "$tmp/lg2" > /dev/null || bad "lengths: grad -np 2"
close "$tmp/lg2" "$tmp/lg1" && ok || bad "lengths: grad under -np 2 differs from -np 1"

# kill one rank mid-epoch: the job ends non-zero, the checkpoint survives
ex=charlm
"$rnnc" build "examples/$ex.rnn" --mpi -o "$tmp/lm" || bad "charlm build"
head -c 60000 /usr/share/common-licenses/GPL-3 > "$tmp/corpus"
text="train --text $tmp/corpus --seed 3 --optimizer sgd --lr 0.5 --batch 5 --bptt 16 --epochs 1 --valid 0.1"
run 2 "$tmp/lm" $text -o "$tmp/want" 2> /dev/null || bad "uninterrupted -np 2 --text run"
mpirun --oversubscribe -np 2 "$tmp/lm" $text -o "$tmp/k" --checkpoint "$tmp/k.ckpt" --checkpoint-every 50 \
    2> "$tmp/kill.log" &
job=$! # mpirun, whose children are the ranks
n=0
while [ ! -f "$tmp/k.ckpt" ] && [ $n -lt 3000 ]; do sleep 0.01; n=$((n + 1)); done
sleep 0.1
victim=$(pgrep -P $job | tail -1)
[ -n "$victim" ] && kill -9 "$victim"
start=$(date +%s)
wait $job
status=$?
took=$(($(date +%s) - start))
[ -n "$victim" ] && ok || bad "no rank to kill (training ended first?)"
[ $status -ne 0 ] && ok || bad "killing a rank should make the job exit non-zero"
[ $took -le 20 ] && ok || bad "the job took ${took}s to end after a rank died"
grep -q "rank 1 .*signal 9" "$tmp/kill.log" && ok || { bad "no message names the killed rank"; cat "$tmp/kill.log"; }
sleep 1
pgrep -f "$tmp/lm" > /dev/null && bad "ranks outlived the job" || ok
[ ! -f "$tmp/k" ] && ok || bad "a killed job wrote its weights"
for n in 1 3; do
    cp "$tmp/k.ckpt" "$tmp/r$n.ckpt"
    run $n "$tmp/lm" $text -o "$tmp/r$n" --checkpoint "$tmp/r$n.ckpt" --resume "$tmp/r$n.ckpt" 2> "$tmp/err" ||
        { bad "resume under -np $n"; cat "$tmp/err"; continue; }
    close "$tmp/r$n" "$tmp/want" && ok || bad "resumed under -np $n: weights differ from the uninterrupted run"
done

echo "mpi: $pass passed, $fail failed"
[ $fail -eq 0 ]
