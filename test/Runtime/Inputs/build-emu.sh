#!/bin/sh
# Builds the emulated driver's test programs into DIR:
#   build-emu.sh CC SOURCE-ROOT DIR [SANITIZE]
# DIR/host.so (the "cubin"), DIR/host.emu.so (its side-car, instrumented
# with -fsanitize=SANITIZE if given) and DIR/emu_host (the harness).
set -e
cc=$1 root=$2 dir=$3 sanitize=$4
inputs=$root/test/Runtime/Inputs
mkdir -p "$dir"
flags="-O1 -g -fPIC -I$root/include"
if [ -n "$sanitize" ]; then flags="$flags -fsanitize=$sanitize"; fi
$cc $flags -shared "$inputs/emu_kernels.c" -o "$dir/host.emu.so"
$cc -fPIC -shared -DEMU_IMAGE "$inputs/emu_host.c" -o "$dir/host.so"
$cc -O1 -g "$inputs/emu_host.c" -o "$dir/emu_host" -ldl -lm
