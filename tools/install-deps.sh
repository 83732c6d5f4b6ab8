#!/bin/sh
# tools/install-deps.sh - install the Debian packages that building and
# testing rnnc need. Does nothing when they are all present; otherwise runs
# apt-get (as root, or through sudo).
set -e
packages="make gcc clang flex bison llvm-dev libcmocka-dev python3 bc groff libprotobuf-c-dev protobuf-c-compiler libonnx-dev"
missing=
for p in $packages; do
    dpkg -s "$p" > /dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
