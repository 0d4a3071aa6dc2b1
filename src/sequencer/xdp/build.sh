#!/bin/sh
# Builds the XDP data plane (docs/xdp.md): the BPF program with clang -target bpf against libbpf's headers,
# and the agent's Node-API addon against libbpf. Output in dist/xdp/. Needs clang, llvm and libbpf-dev.
set -eu
here=$(dirname "$0")
out="$here/../../../dist/xdp"
mkdir -p "$out"
clang -O2 -g -Wall -Werror -target bpf -I"/usr/include/$(uname -m)-linux-gnu" -c "$here/sequencer.bpf.c" -o "$out/sequencer.bpf.o"
node_include=$(node -p "require('node:path').join(process.execPath, '../../include/node')")
clang -O2 -Wall -Werror -shared -fPIC -DNODE_GYP_MODULE_NAME=mrtom_bpf -I"$node_include" "$here/addon.c" -lbpf -o "$out/mrtom_bpf.node"
