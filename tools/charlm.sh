#!/bin/sh
# tools/charlm.sh - train the character language model (examples/charlm.rnn)
# on a corpus every Debian machine has: the license texts of base-files in
# /usr/share/common-licenses (about 217 KB of English). Prints the corpus's
# unigram entropy, the training progress, the time taken and a sample.
set -e
cd "$(dirname "$0")/.."
make -s
out=build/charlm
mkdir -p "$out"
licenses=/usr/share/common-licenses
# GPL-3 last: the held-out tenth is its second half, a text like those trained on
cat $licenses/Apache-2.0 $licenses/Artistic $licenses/BSD $licenses/CC0-1.0 $licenses/GFDL-1.3 \
    $licenses/GPL-1 $licenses/GPL-2 $licenses/LGPL-2 $licenses/LGPL-2.1 $licenses/LGPL-3 \
    $licenses/MPL-1.1 $licenses/MPL-2.0 $licenses/GPL-3 > "$out/corpus.txt"
od -An -v -tu1 "$out/corpus.txt" | tr -s ' ' '\n' | awk 'NF { n++; c[$1]++ }
    END { for (b in c) h -= c[b] / n * log(c[b] / n) / log(2); printf "corpus: %d bytes, unigram entropy %.3f bits per byte\n", n, h }'
./rnnc build examples/charlm.rnn -o "$out/charlm"
start=$(date +%s)
"$out/charlm" train --text "$out/corpus.txt" -o "$out/charlm.safetensors" --checkpoint "$out/charlm.ckpt"
echo "trained in $(( $(date +%s) - start )) s"
"$out/charlm" sample --weights "$out/charlm.safetensors" --prime "This License " --length 300 --temperature 0.7 --seed 1
