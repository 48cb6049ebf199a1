#!/bin/bash
# Builds the eBPF wire tracer: bpf/ (CO-RE object + skeleton) and native/ (N-API addon).
# Optional: without it s3prober runs with s3prober_ebpf_up 0. `npm ci` never calls this.
# Needs: clang, llvm-strip, bpftool, libbpf-dev, libelf-dev, zlib1g-dev, Node headers in
# /usr/include/node (or NODE_DIR), make, a C compiler, python3 (node-gyp), and the running
# kernel's BTF (/sys/kernel/btf/vmlinux, or VMLINUX_BTF=<file>).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in clang llvm-strip bpftool make cc python3 node; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -f /usr/include/bpf/libbpf.h ] || missing+=("libbpf headers (libbpf-dev)")
[ -f /usr/include/libelf.h ] || [ -f /usr/include/elfutils/libelf.h ] || missing+=("libelf headers (libelf-dev)")
[ -f /usr/include/zlib.h ] || missing+=("zlib headers (zlib1g-dev)")
NODE_DIR=${NODE_DIR:-/usr}
[ -f "$NODE_DIR/include/node/node_api.h" ] || missing+=("Node headers ($NODE_DIR/include/node/node_api.h; set NODE_DIR)")
VMLINUX_BTF=${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}
[ -r "$VMLINUX_BTF" ] || missing+=("kernel BTF ($VMLINUX_BTF: needs CONFIG_DEBUG_INFO_BTF=y, or set VMLINUX_BTF)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-ebpf: cannot build the eBPF tracer, missing: ${missing[*]}" >&2
  echo "build-ebpf: on Debian/Ubuntu: apt-get install clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make gcc python3" >&2
  exit 1
fi

# node-gyp: on PATH, else the copy bundled with npm
NODE_GYP=(node-gyp)
if ! command -v node-gyp >/dev/null 2>&1; then
  npm_dir=$(dirname "$(readlink -f "$(command -v npm 2>/dev/null || echo /nonexistent)")")/..
  gyp_js=$npm_dir/node_modules/node-gyp/bin/node-gyp.js
  [ -f "$gyp_js" ] || { echo "build-ebpf: node-gyp not found (npm install -g node-gyp)" >&2; exit 1; }
  NODE_GYP=(node "$gyp_js")
fi

make -s -C bpf VMLINUX_BTF="$VMLINUX_BTF"
(cd native && "${NODE_GYP[@]}" rebuild --nodedir="$NODE_DIR" --loglevel=warn)
echo "build-ebpf: built native/build/Release/s3prober.node"
