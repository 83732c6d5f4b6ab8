#!/bin/sh
# tests/docs/run.sh RNNC - the documentation's examples still hold. In
# README.md and docs/*.md every ```rnn block, a complete source file, must
# pass `rnnc check`; every ```rnn-error block, saved as model.rnn, must give
# exactly the diagnostic in the ```text block right after it; and the
# README's tour (its ```sh blocks under "## A five-minute tour") runs, in
# order, in a scratch directory holding ./rnnc and examples/, without a
# failing command. The man page renders without a warning (where groff is
# installed).
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
. tests/e2e/lib.sh

# blocks FILE: split FILE's fenced blocks into $tmp/blocks/N.KIND (N in
# order of appearance; KIND rnn, rnn-error, text, sh, ...), with N.line
# holding the line the block starts on.
blocks() {
    rm -rf "$tmp/blocks" && mkdir "$tmp/blocks"
    awk -v dir="$tmp/blocks" '
        /^```/ && !inside { inside = 1; n++; kind = substr($0, 4); if (kind == "") kind = "plain";
                            out = dir "/" n "." kind; printf "" > out; print NR + 1 > (dir "/" n ".line"); next }
        /^```/ && inside  { inside = 0; close(out); next }
        inside            { print > out }' "$1"
}

for doc in README.md docs/*.md; do
    [ -f "$doc" ] || continue
    blocks "$doc"
    n=1
    while [ -f "$tmp/blocks/$n.line" ]; do
        line=$(cat "$tmp/blocks/$n.line")
        if [ -f "$tmp/blocks/$n.rnn" ]; then
            if "$rnnc" check "$tmp/blocks/$n.rnn" > "$tmp/out" 2> "$tmp/err"; then ok; else
                bad "$doc:$line: this rnn block does not pass rnnc check"
            fi
        elif [ -f "$tmp/blocks/$n.rnn-error" ]; then
            next=$((n + 1))
            mkdir -p "$tmp/err_case" && cp "$tmp/blocks/$n.rnn-error" "$tmp/err_case/model.rnn"
            (cd "$tmp/err_case" && "$rnnc" check model.rnn > /dev/null 2> "$tmp/diag")
            if [ ! -f "$tmp/blocks/$next.text" ]; then
                bad "$doc:$line: an rnn-error block without the text block of its diagnostic after it"
            elif cmp -s "$tmp/diag" "$tmp/blocks/$next.text"; then ok; else
                bad "$doc:$line: rnnc check gives another diagnostic than the one shown"
                diff "$tmp/blocks/$next.text" "$tmp/diag" | head -10
            fi
        fi
        n=$((n + 1))
    done
done

# The tour: its sh blocks, in order, as one script.
awk '/^## / { tour = ($0 ~ /^## A five-minute tour/) } tour' README.md > "$tmp/tour.md"
blocks "$tmp/tour.md"
cat "$tmp"/blocks/*.sh > "$tmp/tour.sh" 2> /dev/null
if [ ! -s "$tmp/tour.sh" ]; then
    bad "README.md has no tour (## A five-minute tour with sh blocks)"
else
    mkdir -p "$tmp/tour" && ln -s "$rnnc" "$tmp/tour/rnnc" && ln -s "$root/examples" "$tmp/tour/examples"
    if (cd "$tmp/tour" && sh -e -x "$tmp/tour.sh") > "$tmp/out" 2> "$tmp/err"; then ok; else
        bad "README's tour: a command failed"; tail -15 "$tmp/err"
    fi
fi

if command -v groff > /dev/null; then
    if groff -ww -man -Tutf8 docs/rnnc.1 > /dev/null 2> "$tmp/err" && [ ! -s "$tmp/err" ]; then ok; else
        bad "docs/rnnc.1: groff warns"
    fi
fi
report docs
