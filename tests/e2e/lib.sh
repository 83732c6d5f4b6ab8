# tests/e2e/lib.sh - helpers the end-to-end scripts source: a scratch
# directory ($tmp, removed at exit), pass/fail counts, and checks of a
# command's exit status and of what it said.
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

# report NAME: the closing line; the exit status of the script
report() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" = 0 ]
}
