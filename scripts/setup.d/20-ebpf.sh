#!/bin/bash
# The eBPF wire tracer's toolchain and build (clang/libbpf for bpf/, node-gyp for native/).
set -euo pipefail
. "$(dirname "$0")/../lib/apt.sh"
apt_install clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make gcc g++ python3 pkg-config
bash "$(dirname "$0")/../build-ebpf.sh"
