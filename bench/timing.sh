# bench/timing.sh - sourced by the benchmarks: wall-clock helpers.
# now: seconds since the epoch, with nanoseconds.
# fastest COMMAND...: the smallest wall time of $repeat runs, in seconds
# (the caller sets repeat); exits if the command fails.
now() { date +%s.%N; }

fastest() {
    best=
    for _ in $(seq "$repeat"); do
        t0=$(now)
        "$@" > /dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
        t=$(echo "$(now) - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}
