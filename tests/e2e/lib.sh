# tests/e2e/lib.sh - helpers the end-to-end scripts source: a scratch
# directory ($tmp, removed at exit), pass/fail counts, checks of a
# command's exit status and of what it said, and a training run killed
# and resumed.
tmp=$(mktemp -d /tmp/rnnc-e2e.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $1"; [ -f "$tmp/err" ] && head -5 "$tmp/err"; fail=$((fail + 1)); }

# expect STATUS WHAT CMD...: exit status STATUS, never a signal
expect() {
    want=$1 what=$2
    shift 2
    "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit status $got, expected $want"; fi
}

# says PATTERN WHAT: the last command's stderr or stdout says PATTERN
says() {
    if grep -q -- "$1" "$tmp/err" "$tmp/out"; then ok; else bad "$2: '$1' not said"; fi
}

# lines N WHAT: the last command's stderr has exactly N lines
lines() {
    if [ "$(wc -l < "$tmp/err")" = "$1" ]; then ok; else bad "$2: $(wc -l < "$tmp/err") lines on stderr, not $1"; fi
}

# kill_and_resume NAME WANT PROG ARGS...: PROG ARGS... writing checkpoints
# every 7 steps, killed (SIGKILL) once one exists, then resumed from it, must
# end at the weights in WANT, bit for bit
kill_and_resume() {
    name=$1 want=$2
    shift 2
    rm -f "$tmp/k.safetensors" "$tmp/k.ckpt"
    "$@" -o "$tmp/k.safetensors" --checkpoint "$tmp/k.ckpt" --checkpoint-every 7 2> /dev/null &
    pid=$!
    n=0
    while [ ! -f "$tmp/k.ckpt" ] && [ $n -lt 2000 ]; do sleep 0.01; n=$((n + 1)); done
    sleep 0.05
    kill -9 $pid 2> /dev/null
    wait $pid 2> /dev/null
    if [ -f "$tmp/k.safetensors" ]; then
        bad "$name: training finished before it could be killed"
        return
    fi
    [ -f "$tmp/k.ckpt" ] && ok || bad "$name: no checkpoint was written"
    "$@" -o "$tmp/k.safetensors" --checkpoint "$tmp/k.ckpt" --resume "$tmp/k.ckpt" 2> "$tmp/err" || {
        bad "$name: resume"; return; }
    if cmp -s "$tmp/k.safetensors" "$want"; then ok; else bad "$name: resumed weights differ from an uninterrupted run"; fi
}

# report NAME: the closing line; the exit status of the script
report() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" = 0 ]
}
