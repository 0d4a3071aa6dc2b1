// SPDX-License-Identifier: Apache-2.0
// Passes every frame. Native XDP on a veth delivers XDP_TX frames only if the peer runs an XDP program
// too; the bench attaches this one to the bridge side of the sequencer's veth for --xdp-mode native.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int mrtom_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
