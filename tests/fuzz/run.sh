#!/bin/sh
# tests/fuzz/run.sh SECONDS [NAME...] - the fuzzing campaign step of `make
# fuzz FUZZ_SECONDS=N`: every harness (or those named) run by libFuzzer for
# SECONDS under ASan + UBSan, two at a time (one per core), starting from
# its seed corpus (tests/fuzz/corpus/NAME, read only) and what earlier runs
# found (build/fuzz/corpus/NAME). A crash fails the run; its input is
# kept as build/fuzz/crash-NAME-*, to be fixed and then committed under
# tests/fuzz/regressions/NAME/. Each run's log is kept in
# tests/fuzz/logs/NAME.log (appended), from which the campaign's CPU time,
# executions and coverage are summed (tests/fuzz/campaign.sh).
seconds=${1:?usage: run.sh SECONDS [NAME...]}
shift
cd "$(dirname "$0")/../.." || exit 2
names=${*:-"frontend npy safetensors checkpoint text onnx"}
mkdir -p build/fuzz/corpus tests/fuzz/logs
pids= failed=0
for name in $names; do
    mkdir -p "build/fuzz/corpus/$name" "tests/fuzz/regressions/$name"
    (
        log=build/fuzz/$name.log
        echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ) $name, $seconds s" > "$log"
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            "build/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=3072 -timeout=20 -max_len=65536 \
            -print_final_stats=1 -artifact_prefix="build/fuzz/crash-$name-" \
            "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >> "$log" 2>&1
        status=$?
        times > "$log.times" # not in a pipeline: there times would run in a subshell of its own
        tail -1 "$log.times" | sed 's/^/cpu_seconds (user, system): /' >> "$log" # the fuzzer's, this subshell's child
        grep -E '^==|^#[0-9]+.*DONE|^stat::|^cpu_seconds|ERROR|SUMMARY' "$log" >> "tests/fuzz/logs/$name.log"
        exit $status
    ) &
    pids="$pids $!"
    set -- $pids
    if [ $# -ge 2 ]; then # two at a time
        wait "$1" || failed=1
        shift
        pids=$*
    fi
done
for p in $pids; do wait "$p" || failed=1; done
for name in $names; do
    grep -E 'DONE|^cpu_seconds' "build/fuzz/$name.log" | tail -2 | sed "s/^/$name: /"
done
[ $failed -eq 0 ] || { echo "fuzz: a harness crashed; see build/fuzz/*.log and build/fuzz/crash-*"; exit 1; }
