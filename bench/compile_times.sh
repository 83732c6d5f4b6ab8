#!/bin/sh
# bench/compile_times.sh [RNNC] - how long rnnc takes to compile each example
# (examples/*.rnn): `rnnc build MODEL -o PROG` (C backend, default -O2) as a
# whole, the part rnnc itself spends (`rnnc emit MODEL --target c`: parse,
# check, differentiate, generate), and the C compiler's part (the
# difference). Each figure is the fastest of REPEAT runs (default 3).
rnnc=${1:-./rnnc}
repeat=${REPEAT:-3}
. "$(dirname "$0")/timing.sh"
bench_dir compile

printf '%-12s %9s %9s %9s %9s\n' model "build s" "rnnc s" "cc s" "C lines"
for model in examples/*.rnn; do
    name=$(basename "$model" .rnn)
    build=$(fastest "$rnnc" build "$model" -o "$tmp/prog") || exit 1
    emit=$(fastest "$rnnc" emit "$model" --target c -o "$tmp/prog.c") || exit 1
    printf '%-12s %9.3f %9.3f %9.3f %9d\n' "$name" "$build" "$emit" "$(echo "$build - $emit" | bc -l)" \
        "$(wc -l < "$tmp/prog.c")"
done
