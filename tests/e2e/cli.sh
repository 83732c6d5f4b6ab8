#!/bin/sh
# tests/e2e/cli.sh RNNC - the command line as a user meets it: every
# example checks clean, the prelude round-trips through `rnnc check`, and
# exit codes follow docs/programs.md (0 ok, 1 input errors, 2 usage errors).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d /tmp/rnnc-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect STATUS DESCRIPTION COMMAND...: run it, compare the exit status
expect() {
    want=$1 what=$2
    shift 2
    "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    got=$?
    if [ "$got" = "$want" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL $what: exit status $got, expected $want"
        head -5 "$tmp/err"
        fail=$((fail + 1))
    fi
}

# grep_out PATTERN FILE DESCRIPTION: the last command printed PATTERN
grep_out() {
    if grep -q -- "$1" "$tmp/$2"; then
        pass=$((pass + 1))
    else
        echo "FAIL $3: '$1' not in $2"
        fail=$((fail + 1))
    fi
}

for model in examples/*.rnn; do
    expect 0 "check $model" "$rnnc" check "$model"
    [ -s "$tmp/err" ] && { echo "FAIL $model: diagnostics on a clean example"; fail=$((fail + 1)); }
done

expect 0 "emit prelude" "$rnnc" emit --target prelude -o "$tmp/prelude.rnn"
expect 0 "prelude checks" "$rnnc" check "$tmp/prelude.rnn"
expect 0 "prelude to stdout" "$rnnc" emit --target prelude
grep_out "cell lstm(in, hidden)" out "prelude text"

expect 0 "--help" "$rnnc" --help
grep_out "usage: rnnc check" out "help text"
expect 0 "--version" "$rnnc" --version
grep_out "^rnnc [0-9]" out "version text"

expect 2 "no command" "$rnnc"
expect 2 "unknown command" "$rnnc" frobnicate x.rnn
expect 2 "unknown option" "$rnnc" check --bogus examples/charlm.rnn
expect 2 "check without file" "$rnnc" check
expect 2 "emit without target" "$rnnc" emit examples/charlm.rnn
expect 2 "unknown target" "$rnnc" emit examples/charlm.rnn --target pdf
expect 2 "unknown backend" "$rnnc" build examples/charlm.rnn --backend jvm
expect 2 "-o without value" "$rnnc" build examples/charlm.rnn -o

expect 1 "missing file" "$rnnc" check "$tmp/nonexistent.rnn"
grep_out "cannot open" err "missing file message"
printf 'cell c(n) {\n  input x[n]\n  state h[n]\n  h'"'"' = h + x\n  output h'"'"'\n}\n' > "$tmp/cells.rnn"
expect 0 "cells only check" "$rnnc" check "$tmp/cells.rnn"
expect 1 "build without a model" "$rnnc" build "$tmp/cells.rnn"
grep_out "no model" err "no-model message"
cat examples/timeseries.rnn examples/peephole.rnn > "$tmp/two.rnn"
expect 1 "two models need --model" "$rnnc" build "$tmp/two.rnn"
grep_out "choose one with --model" err "--model hint"
expect 1 "unknown --model" "$rnnc" build "$tmp/two.rnn" --model nosuch
grep_out "no model named 'nosuch'" err "--model message"
many=$(for i in $(seq 60); do printf ' -DW%d' "$i"; done)
expect 1 "too many compiler words" env RNNC_CFLAGS="$many" "$rnnc" build examples/timeseries.rnn -o "$tmp/ts"
grep_out "hold more than 48 words" err "compiler words message"
# --mpi with a runtime built without MPI says what to install
mkdir -p "$tmp/rt/include"
cp "$(dirname "$rnnc")/librnnrt.a" "$tmp/rt/" && cp runtime/rnnrt.h "$tmp/rt/include/"
expect 1 "--mpi without the MPI layer" env RNNC_RUNTIME="$tmp/rt" "$rnnc" build examples/timeseries.rnn --mpi -o "$tmp/ts"
grep_out "rt_dist_mpi.o, which this rnnc's runtime was built without: install Open MPI" err "--mpi message"
[ -e "$tmp/ts.rnnc.c" ] && { echo "FAIL too many compiler words: the C source is left behind"; fail=$((fail + 1)); }

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
