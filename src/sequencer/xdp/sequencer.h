/* SPDX-License-Identifier: Apache-2.0 */
/* The maps the XDP sequencer shares with its control agent. src/sequencer/xdp/maps.ts encodes the same
 * layouts; both sides must change together. Addresses and ports are in network byte order, counters and
 * protocol fields in host order. */
#ifndef MRTOM_SEQUENCER_H
#define MRTOM_SEQUENCER_H

#include <linux/types.h>

/* The fixed MRTOM header (src/mrtom/header.ts). */
#define MRTOM_HEADER_BYTES 52
#define MRTOM_MAGIC 0x4d54
#define MRTOM_VERSION 1
#define MRTOM_TYPE_REQUEST 1
#define MRTOM_TYPE_ORDERED 2
#define MRTOM_OFF_GROUP 4
#define MRTOM_OFF_SESSION 8
#define MRTOM_OFF_VIEW 12
#define MRTOM_OFF_SEQ 16
#define MRTOM_OFF_COMMIT 24
#define MRTOM_OFF_INCARNATION 44
#define MRTOM_OFF_BODY_BYTES 48

/* The cluster config allows at most 9 replicas. */
#define MRTOM_REPLICAS_MAX 9

/* Written once by the agent before the program is attached. */
struct mrtom_config {
	__u32 group;
	__u32 sequencer_ip;
	__u32 group_ip;
	__u16 sequencer_port;
	__u16 group_port;
	__u8 group_mac[6];
	__u8 interface_mac[6];
	/* The submitters' limit on a whole MRTOM datagram; a longer REQUEST goes up, dropped as oversized. */
	__u32 datagram_bytes_max;
};

/* The session being served; replaced as a whole (BPF_F_LOCK) when a leader starts a new one. */
struct mrtom_session {
	struct bpf_spin_lock lock;
	__u32 session;
	__u32 view;
	__u32 incarnation;
	__u64 seq_last;
};

/* The commit point the agent computed, piggybacked on ORDERED; only valid for its own session. */
struct mrtom_commit {
	struct bpf_spin_lock lock;
	__u32 session;
	__u64 commit;
};

struct mrtom_source {
	__u32 ip;
	__u16 port;
	__u16 pad;
};

enum mrtom_counter {
	MRTOM_STAMPED,
	MRTOM_PASS_NOT_IPV4,
	MRTOM_PASS_UNCONFIGURED,
	MRTOM_PASS_FOREIGN,
	MRTOM_PASS_FRAGMENT,
	MRTOM_PASS_NOT_STAMPABLE,
	MRTOM_COUNTER_COUNT,
};

#endif
