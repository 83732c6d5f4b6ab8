#!/bin/sh
# bench/run.sh [RNNC] - every benchmark in one run (make bench):
# this machine's sgemm rate and read bandwidth (bench/probes.sh) first, then
# the LLVM backend against the C backend (backends.sh), training per step
# against PyTorch with rnnc's GFLOP/s (vs_pytorch.sh), inference per step at
# batch 1 against PyTorch and the bandwidth limit (inference.sh), the
# compile time of each example (compile_times.sh), training across 1
# and 2 MPI ranks (mpi.sh; skipped without Open MPI), training with
# --lengths against the same batch without (lengths.sh), and inference
# against ONNX Runtime at batch 1 and 32 (vs_ort.sh; skipped without
# onnxruntime-node: set NODE_PATH to the node_modules that holds it).
rnnc=${1:-./rnnc}
here=$(cd "$(dirname "$0")" && pwd)
probes=$("$here/probes.sh") || exit 1
eval "$probes"
export SGEMM_GFLOPS READ_GBS
echo "sgemm: $SGEMM_GFLOPS GFLOP/s (OpenBLAS cblas_sgemm, 2048x2048, $SGEMM_THREADS threads, best of 5)"
echo "read bandwidth: $READ_GBS GB/s with 2 threads ($READ_GBS_1 GB/s with 1), summing $READ_MIB MiB = 4 x L3, best of 5"
echo
echo "== LLVM backend against the C backend (bench/backends.sh) =="
"$here/backends.sh" "$rnnc" || exit 1
echo
echo "== training, time per step (bench/vs_pytorch.sh) =="
"$here/vs_pytorch.sh" "$rnnc" || exit 1
echo
echo "== inference at batch 1, time per step (bench/inference.sh) =="
"$here/inference.sh" "$rnnc" || exit 1
echo
echo "== compile time per example (bench/compile_times.sh) =="
"$here/compile_times.sh" "$rnnc" || exit 1
echo
echo "== data-parallel training, 1 and 2 MPI ranks of one thread (bench/mpi.sh) =="
if command -v mpirun > /dev/null; then
    "$here/mpi.sh" "$rnnc" || exit 1
else
    echo "skipped: mpirun not found (Debian: openmpi-bin libopenmpi-dev)"
fi
echo
echo "== training on sequences of different lengths, time per step (bench/lengths.sh) =="
"$here/lengths.sh" "$rnnc" || exit 1
echo
echo "== inference against ONNX Runtime, time per step (bench/vs_ort.sh) =="
if [ -n "$NODE_PATH" ] && [ -d "$NODE_PATH/onnxruntime-node" ]; then
    "$here/vs_ort.sh" "$rnnc" || exit 1
else
    echo "skipped: onnxruntime-node not found (npm install --ignore-scripts onnxruntime-node@1.30.0, then NODE_PATH=.../node_modules)"
fi
