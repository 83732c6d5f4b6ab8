#!/bin/sh
# tests/parity/run.sh RNNC - forward and gradient parity with PyTorch 1.13.
# For each fixture written by tools/make_fixtures.py: build the model, check
# `forward --expect` against PyTorch's output and `grad --expect` against
# its gradients, tensor by tensor (the numerics bound, docs/programs.md), and that `eval`
# prints PyTorch's loss within the same bound, with the C backend at -O2 and
# -O0 and the LLVM backend at -O0, -O2 and -O3 (its module is verified at
# each); that both backends compute the same bits; and that `train` ends two
# optimizer steps (tests/parity/train) at PyTorch's weights with either.
# Needs no torch: the fixtures are committed.
rnnc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
st_compare=$(dirname "$rnnc")/tests/st_compare
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/rnnc-parity.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# close A B: |A - B| <= 1e-4 |B| + 1e-5
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= 1e-4 * m + 1e-5) }'; }

for dir in "$here"/fixtures/*/; do
  # a fixture of variable-length sequences has lengths.npy (tools/make_length_fixtures.py)
  lengths=
  [ -f "$dir/lengths.npy" ] && lengths="--lengths $dir/lengths.npy"
  # PARITY_BUILDS (comma-separated) narrows the builds: the sanitizer pass
  # keeps one LLVM level, as LLVM's objects are not instrumented anyway
  builds=${PARITY_BUILDS:-"-O2 --backend c,-O0 --backend c,-O2 --backend llvm,-O0 --backend llvm,-O3 --backend llvm"}
  # the variable-length fixtures at one level of each backend and C's -O0
  # (what lengths change is the same code at every level)
  [ -n "$lengths" ] && [ -z "$PARITY_BUILDS" ] && builds="-O2 --backend c,-O0 --backend c,-O2 --backend llvm"
  old_ifs=$IFS
  IFS=,
  for build in $builds; do
    IFS=$old_ifs
    name="$(basename "$dir") $build"
    prog=$tmp/prog
    if ! "$rnnc" build "$dir/model.rnn" $build -o "$prog" 2> "$tmp/err"; then
        echo "FAIL $name: build"; head -5 "$tmp/err"; fail=$((fail + 1)); continue
    fi
    if "$prog" forward --weights "$dir/weights.safetensors" --input "$dir/input.npy" $lengths \
            --expect "$dir/output.npy" > "$tmp/out" 2>&1; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: forward differs from PyTorch"; cat "$tmp/out"; fail=$((fail + 1))
    fi
    if "$prog" grad --weights "$dir/weights.safetensors" --input "$dir/input.npy" --target "$dir/target.npy" $lengths \
            --expect "$dir/grads.safetensors" > "$tmp/out" 2>&1; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: gradients differ from PyTorch"; cat "$tmp/out"; fail=$((fail + 1))
    fi
    want=$(sed -n 's/^loss: //p' "$dir/loss.txt")
    got=$("$prog" eval --weights "$dir/weights.safetensors" --input "$dir/input.npy" $lengths \
            --target "$dir/target.npy" 2> "$tmp/err" | sed -n 's/^loss: //p')
    if [ -n "$got" ] && close "$got" "$want"; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: eval loss '$got', PyTorch $want"; head -3 "$tmp/err"; fail=$((fail + 1))
    fi
  done
  # the two backends compute the same bits: same kernels, no contraction
  # (PARITY_SAME_BITS=0, as the sanitizer pass sets it, skips this: the
  # plain pass checks it)
  [ "${PARITY_SAME_BITS:-1}" = 0 ] && continue
  name=$(basename "$dir")
  w="--weights $dir/weights.safetensors --input $dir/input.npy $lengths"
  if "$rnnc" build "$dir/model.rnn" -o "$tmp/c" && "$rnnc" build "$dir/model.rnn" --backend llvm -o "$tmp/llvm" &&
      "$tmp/c" forward $w -o "$tmp/c.npy" && "$tmp/llvm" forward $w --expect "$tmp/c.npy" --tol 0 > /dev/null &&
      "$tmp/c" grad $w --target "$dir/target.npy" -o "$tmp/c.safetensors" > /dev/null &&
      "$tmp/llvm" grad $w --target "$dir/target.npy" -o "$tmp/llvm.safetensors" > /dev/null &&
      cmp -s "$tmp/c.safetensors" "$tmp/llvm.safetensors"; then
      pass=$((pass + 1))
  else
      echo "FAIL $name: the C and LLVM backends differ"; fail=$((fail + 1))
  fi
done

# Two steps of each optimizer, with clipping active, from PyTorch's weights.
for dir in "$here"/train/*/; do
  lengths=
  [ -f "$dir/lengths.npy" ] && lengths="--lengths $dir/lengths.npy"
  for backend in c llvm; do
    name="$(basename "$dir") --backend $backend"
    if "$rnnc" build "$dir/model.rnn" --backend $backend -o "$tmp/prog" 2> "$tmp/err" &&
        "$tmp/prog" train --weights "$dir/weights.safetensors" --input "$dir/input.npy" --target "$dir/target.npy" \
            $lengths -o "$tmp/after.safetensors" 2> "$tmp/err" &&
        "$st_compare" "$tmp/after.safetensors" "$dir/after.safetensors" > "$tmp/out"; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: weights after training differ from PyTorch's"; cat "$tmp/err" "$tmp/out"; fail=$((fail + 1))
    fi
  done
done
echo "parity: $pass passed, $fail failed"
[ "$fail" = 0 ]
