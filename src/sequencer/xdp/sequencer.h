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
#define MRTOM_TYPE_ACK 3
#define MRTOM_TYPE_COMMIT 4
#define MRTOM_TYPE_RETRANSMIT 5
#define MRTOM_OFF_GROUP 4
#define MRTOM_OFF_SESSION 8
#define MRTOM_OFF_VIEW 12
#define MRTOM_OFF_SEQ 16
#define MRTOM_OFF_COMMIT 24
#define MRTOM_OFF_REQUEST_ID 32
#define MRTOM_OFF_SENDER 40
#define MRTOM_OFF_INCARNATION 44
#define MRTOM_OFF_BODY_BYTES 48

/* A stamped copy kept for retransmission: the largest MRTOM datagram that fits a 1500-byte frame. */
#define MRTOM_COPY_BYTES_MAX 1472

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
	/* n replicas, f = (n - 1) / 2 of them may fail. */
	__u32 replica_count;
	__u32 faults_tolerated;
	/* Slots in mrtom_ring. */
	__u32 ring_entries;
};

/* The session being served; replaced as a whole (BPF_F_LOCK) when a leader starts a new one. */
struct mrtom_session {
	struct bpf_spin_lock lock;
	__u32 session;
	__u32 view;
	__u32 incarnation;
	__u64 seq_last;
};

/* Ack aggregation (docs/design.md §2 step 3): each replica's cumulative `through` in the session, by its
 * position in view order, and the commit point piggybacked on ORDERED. The program keeps it while every ACK
 * of the session has come without NO-OPs; from the first that carries some, the agent sets mrtom_ack_owner
 * and keeps it itself, with the NO-OP agreement rule (src/sequencer/quorum.ts), writing commit back. */
struct mrtom_acks {
	struct bpf_spin_lock lock;
	__u32 session;
	__u64 commit;
	__u64 throughs[MRTOM_REPLICAS_MAX];
};

/* One slot of the retransmission ring, seq % ring entries (the agent sizes the map from ringCapacity).
 * Written under its lock so the agent never reads a copy half overwritten by a newer seq. */
struct mrtom_copy {
	struct bpf_spin_lock lock;
	__u32 session;
	__u64 seq;
	__u64 stamped_ns;
	__u32 bytes;
	__u32 pad;
	__u8 datagram[MRTOM_COPY_BYTES_MAX];
};

struct mrtom_source {
	__u32 ip;
	__u16 port;
	__u16 pad;
};

/* A configured replica: its id (the ACK's sender) and its position in view order (leader = view mod n). */
struct mrtom_replica {
	__u32 id;
	__u32 index;
};

enum mrtom_counter {
	MRTOM_STAMPED,
	MRTOM_ACKS_AGGREGATED,
	MRTOM_COMMIT_NOTICES,
	MRTOM_COPY_FAILED,
	MRTOM_PASS_NOT_IPV4,
	MRTOM_PASS_UNCONFIGURED,
	MRTOM_PASS_FOREIGN,
	MRTOM_PASS_FRAGMENT,
	MRTOM_PASS_NOT_STAMPABLE,
	MRTOM_PASS_ACK,
	MRTOM_RETRANSMITS_ANSWERED,
	MRTOM_PASS_RETRANSMIT,
	MRTOM_COUNTER_COUNT,
};

#endif
