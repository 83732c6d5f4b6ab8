# bench/timing.sh - sourced by the benchmarks: a scratch directory and
# wall-clock helpers.
# bench_dir NAME: sets tmp to a fresh directory, in /dev/shm when writable
# (what the programs write there costs no disk), removed on exit.
# now: seconds since the epoch, with nanoseconds.
# once COMMAND...: its wall time in seconds; exits if the command fails.
# fastest COMMAND...: the smallest wall time of $repeat runs (the caller
# sets repeat).
bench_dir() {
    base=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
    tmp=$(mktemp -d "$base/rnnc-$1.XXXXXX") || exit 1
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 1' HUP INT TERM
}

now() { date +%s.%N; }

once() {
    t0=$(now)
    "$@" > /dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
    echo "$(now) - $t0" | bc -l
}

fastest() {
    best=
    for _ in $(seq "$repeat"); do
        t=$(once "$@") || exit 1
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
