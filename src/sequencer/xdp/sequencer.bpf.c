// SPDX-License-Identifier: Apache-2.0
// The MRTOM sequencer's fast path at the XDP hook (docs/xdp.md, docs/design.md §2). For a REQUEST to the
// sequencer's UDP port from a configured replica, in the session being served, it stamps (session, view,
// seq, commit, incarnation) into the fixed header with the seq taken under the session lock, turns it
// into ORDERED, readdresses it from the sequencer to the group's IP multicast address and MAC, fixes the IP
// checksum, zeroes the UDP checksum and sends it back out with XDP_TX; the L2 segment delivers one copy to
// every replica that joined the group. Everything else goes up to the control agent unchanged (XDP_PASS),
// where the same pure state machine as in the userspace plane classifies and counts it. It never stamps
// what it cannot fully check: a frame that is not Ethernet/IPv4 without options/UDP, an IP fragment, a
// length that does not add up, or a header of another group, session or type.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "sequencer.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mrtom_config);
} mrtom_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mrtom_session);
} mrtom_session SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mrtom_acks);
} mrtom_acks SEC(".maps");

/* The session whose ACKs the agent aggregates itself (one with NO-OPs); 0 = none. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} mrtom_ack_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MRTOM_REPLICAS_MAX);
	__type(key, struct mrtom_source);
	__type(value, struct mrtom_replica);
} mrtom_replicas SEC(".maps");

/* max_entries is set by the agent before load (the config's ringCapacity). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mrtom_copy);
} mrtom_ring SEC(".maps");

/* Where a copy is assembled before it goes into its ring slot under the slot's lock. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mrtom_copy);
} mrtom_copy_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MRTOM_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} mrtom_counters SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *value = bpf_map_lookup_elem(&mrtom_counters, &counter);
	if (value)
		*value += 1;
}

static __always_inline int pass(__u32 counter)
{
	count(counter);
	return XDP_PASS;
}

static __always_inline void put_be32(__u8 *at, __u32 value)
{
	__u32 be = bpf_htonl(value);
	__builtin_memcpy(at, &be, 4);
}

static __always_inline void put_be64(__u8 *at, __u64 value)
{
	put_be32(at, (__u32)(value >> 32));
	put_be32(at + 4, (__u32)value);
}

static __always_inline __u32 get_be32(const __u8 *at)
{
	__u32 be;
	__builtin_memcpy(&be, at, 4);
	return bpf_ntohl(be);
}

/* The IPv4 header checksum over exactly 20 bytes (the program only handles headers without options). */
static __always_inline __u16 ip_checksum(struct iphdr *ip)
{
	__u16 *words = (__u16 *)ip;
	__u32 sum = 0;
	ip->check = 0;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += words[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* readHeader rejects a u64 field above 2^53 (src/mrtom/header.ts); so must the kernel, or it would stamp
 * or count what the agent calls malformed. */
static __always_inline int is_u53(const __u8 *at)
{
	return get_be32(at) <= 0x1fffff;
}

static __always_inline __u64 get_be64(const __u8 *at)
{
	return ((__u64)get_be32(at) << 32) | get_be32(at + 4);
}

/* Readdresses the frame from the sequencer to the group (its MAC is 01:00:5e + the address's low 23
 * bits) and sends it back out: the L2 segment delivers a copy to every replica that joined. */
static __always_inline int send_to_group(struct mrtom_config *config, struct ethhdr *eth, struct iphdr *ip, struct udphdr *udp)
{
	__builtin_memcpy(eth->h_dest, config->group_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, config->interface_mac, ETH_ALEN);
	ip->saddr = config->sequencer_ip;
	ip->daddr = config->group_ip;
	ip->ttl = 1;
	ip->check = ip_checksum(ip);
	udp->source = config->sequencer_port;
	udp->dest = config->group_port;
	udp->check = 0;
	return XDP_TX;
}

/* A snapshot of the session's throughs with the leader's zeroed (it is not one of the "f others"), and
 * the best commit point found so far. Per CPU, because the verifier tracks map values by bounded index. */
struct mrtom_commit_scratch {
	__u64 throughs[MRTOM_REPLICAS_MAX];
	__u32 faults_tolerated;
	__u32 pad;
	__u64 best;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mrtom_commit_scratch);
} mrtom_scratch SEC(".maps");

/* bpf_loop body: is replica j's through held by at least f of the others? Then it is a candidate. */
struct mrtom_loop {
	struct mrtom_commit_scratch *scratch;
};

static long consider_replica(__u32 j, void *data)
{
	struct mrtom_commit_scratch *scratch = ((struct mrtom_loop *)data)->scratch;
	if (j >= MRTOM_REPLICAS_MAX)
		return 1;
	__u64 candidate = scratch->throughs[j];
	__u32 holding = 0;
	for (__u32 k = 0; k < MRTOM_REPLICAS_MAX; k++)
		holding += scratch->throughs[k] >= candidate;
	if (holding >= scratch->faults_tolerated && candidate > scratch->best)
		scratch->best = candidate;
	return 0;
}

/* The largest seq held by the leader and by f others (src/sequencer/quorum.ts, commitPoint), for a
 * session in which no replica reported a NO-OP, so every list agrees. Entries past n are 0, and so is the
 * leader's in the scratch copy: a 0 only ever supports candidate 0. */
static __always_inline __u64 commit_point(struct mrtom_commit_scratch *scratch, __u32 leader, __u32 n, __u32 f)
{
	if (leader >= MRTOM_REPLICAS_MAX)
		return 0;
	__u64 leader_through = scratch->throughs[leader];
	if (f == 0)
		return leader_through;
	scratch->throughs[leader] = 0;
	scratch->faults_tolerated = f;
	scratch->best = 0;
	struct mrtom_loop loop = { .scratch = scratch };
	bpf_loop(n, consider_replica, &loop, 0);
	return scratch->best < leader_through ? scratch->best : leader_through;
}

/* The session served, read at once under its lock. */
struct mrtom_served {
	__u32 session;
	__u32 view;
	__u32 incarnation;
	__u64 seq_last;
};

static __always_inline struct mrtom_served served_session(struct mrtom_session *session)
{
	struct mrtom_served served;
	bpf_spin_lock(&session->lock);
	served.session = session->session;
	served.view = session->view;
	served.incarnation = session->incarnation;
	served.seq_last = session->seq_last;
	bpf_spin_unlock(&session->lock);
	return served;
}

/* A replica's ACK or RETRANSMIT speaks for the session served: its session, view and incarnation. */
static __always_inline int names_served(const __u8 *mrtom, const struct mrtom_served *served)
{
	return served->session != 0 && get_be32(mrtom + MRTOM_OFF_SESSION) == served->session &&
	       get_be32(mrtom + MRTOM_OFF_VIEW) == served->view && get_be32(mrtom + MRTOM_OFF_INCARNATION) == served->incarnation;
}

/* The body of a replica's RETRANSMIT for exactly one seq S, as msgpackr writes it (src/mrtom/messages.ts):
 * a map16 of 2, "fromSeq" S, "toSeq" S, with S a positive fixint, uint8, uint16 or uint32. Every other body
 * (a range, another encoding, a malformed one) goes up to the agent, which decodes them all. */
#define RETRANSMIT_BODY_MIN 19
#define RETRANSMIT_BODY_MAX 27

static __always_inline int same_seq_after(const __u8 *body, const __u32 width)
{
	const __u8 to_key[6] = { 0xa5, 't', 'o', 'S', 'e', 'q' };
	for (__u32 i = 0; i < 6; i++)
		if (body[11 + width + i] != to_key[i])
			return 0;
	for (__u32 i = 0; i < width; i++)
		if (body[17 + width + i] != body[11 + i])
			return 0;
	return 1;
}

/* S, or 0 when the body is not exactly {fromSeq: S, toSeq: S} in that encoding. */
static __always_inline __u64 single_seq(const __u8 *body, __u32 body_bytes)
{
	const __u8 from_key[11] = { 0xde, 0x00, 0x02, 0xa7, 'f', 'r', 'o', 'm', 'S', 'e', 'q' };
	for (__u32 i = 0; i < 11; i++)
		if (body[i] != from_key[i])
			return 0;
	__u8 tag = body[11];
	if (tag < 0x80)
		return body_bytes == 19 && same_seq_after(body, 1) ? tag : 0;
	if (tag == 0xcc)
		return body_bytes == 21 && same_seq_after(body, 2) ? body[12] : 0;
	if (tag == 0xcd)
		return body_bytes == 23 && same_seq_after(body, 3) ? ((__u64)body[12] << 8) | body[13] : 0;
	if (tag == 0xce)
		return body_bytes == 27 && same_seq_after(body, 5) ? get_be32(body + 12) : 0;
	return 0;
}

/* Answers a RETRANSMIT for one seq whose copy is in the ring: the frame becomes that ORDERED copy, byte for
 * byte as it went out, sent back by unicast to the replica that asked (docs/xdp.md). Anything it cannot
 * answer goes up to the agent, which answers it the same way from the same ring, or counts it. */
static __always_inline int answer_retransmit(struct xdp_md *ctx, struct mrtom_config *config, struct mrtom_replica *replica,
					     struct mrtom_session *session, struct mrtom_acks *acks, __u32 *ack_owner, __u32 udp_bytes)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *data_end = (__u8 *)(long)ctx->data_end;
	__u32 zero = 0;
	struct ethhdr *eth = (struct ethhdr *)data;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	__u8 *mrtom = (__u8 *)(udp + 1);
	if (mrtom + MRTOM_HEADER_BYTES > data_end || get_be32(mrtom + MRTOM_OFF_SENDER) != replica->id)
		return pass(MRTOM_PASS_RETRANSMIT);
	__u32 body_bytes = udp_bytes - sizeof(struct udphdr) - MRTOM_HEADER_BYTES;
	__u8 body[32] = {};
	if (body_bytes < RETRANSMIT_BODY_MIN || body_bytes > RETRANSMIT_BODY_MAX ||
	    bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr) + MRTOM_HEADER_BYTES, body,
			       body_bytes) != 0)
		return pass(MRTOM_PASS_RETRANSMIT);
	__u64 seq = single_seq(body, body_bytes);
	struct mrtom_served served = served_session(session);
	__u32 session_id = served.session;
	/* The agent keeps a session's NO-OP marks, and a NO-OPed seq is never resent: in a session with NO-OPs
	 * (the agent owns its ACKs) every RETRANSMIT goes up. */
	if (seq == 0 || seq > served.seq_last || !names_served(mrtom, &served) || *ack_owner == session_id)
		return pass(MRTOM_PASS_RETRANSMIT);
	/* A copy every replica acked is released (src/sequencer/ring.ts) even while its slot still holds it. */
	__u32 replica_count = config->replica_count;
	__u64 acked_by_all = 0;
	bpf_spin_lock(&acks->lock);
	if (acks->session == session_id) {
		acked_by_all = acks->throughs[0];
		for (__u32 i = 1; i < MRTOM_REPLICAS_MAX && i < replica_count; i++)
			if (acks->throughs[i] < acked_by_all)
				acked_by_all = acks->throughs[i];
	}
	bpf_spin_unlock(&acks->lock);
	__u32 ring_entries = config->ring_entries;
	struct mrtom_copy *copy = bpf_map_lookup_elem(&mrtom_copy_scratch, &zero);
	if (seq <= acked_by_all || !copy || ring_entries == 0)
		return pass(MRTOM_PASS_RETRANSMIT);
	__u32 slot_index = (__u32)(seq % ring_entries);
	struct mrtom_copy *slot = bpf_map_lookup_elem(&mrtom_ring, &slot_index);
	if (!slot)
		return pass(MRTOM_PASS_RETRANSMIT);
	__u32 copy_bytes = 0;
	bpf_spin_lock(&slot->lock);
	if (slot->session == session_id && slot->seq == seq && slot->bytes <= MRTOM_COPY_BYTES_MAX) {
		copy_bytes = slot->bytes;
		__u64 *to = (__u64 *)copy->datagram;
		__u64 *from = (__u64 *)slot->datagram;
		for (__u32 word = 0; word < MRTOM_COPY_BYTES_MAX / 8 && word < (copy_bytes + 7) / 8; word++)
			to[word] = from[word];
	}
	bpf_spin_unlock(&slot->lock);
	if (copy_bytes < MRTOM_HEADER_BYTES || copy_bytes > MRTOM_COPY_BYTES_MAX)
		return pass(MRTOM_PASS_RETRANSMIT);

	/* The requester, before the frame is rewritten. */
	__u8 requester_mac[ETH_ALEN];
	__builtin_memcpy(requester_mac, eth->h_source, ETH_ALEN);
	__u32 requester_ip = ip->saddr;
	__u16 requester_port = udp->source;
	__u32 headers = sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr);
	int delta = (int)(headers + copy_bytes) - (int)(data_end - data);
	if (bpf_xdp_adjust_tail(ctx, delta) != 0)
		return pass(MRTOM_PASS_RETRANSMIT);
	if (bpf_xdp_store_bytes(ctx, headers, copy->datagram, copy_bytes) != 0)
		return XDP_DROP; /* The frame is resized already: it can no longer go up as it came. */
	data = (__u8 *)(long)ctx->data;
	data_end = (__u8 *)(long)ctx->data_end;
	eth = (struct ethhdr *)data;
	ip = (struct iphdr *)(eth + 1);
	udp = (struct udphdr *)(ip + 1);
	if ((__u8 *)(udp + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, requester_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, config->interface_mac, ETH_ALEN);
	ip->tot_len = bpf_htons(sizeof(struct iphdr) + sizeof(struct udphdr) + copy_bytes);
	ip->saddr = config->sequencer_ip;
	ip->daddr = requester_ip;
	ip->ttl = 64;
	ip->check = ip_checksum(ip);
	udp->source = config->sequencer_port;
	udp->dest = requester_port;
	udp->len = bpf_htons(sizeof(struct udphdr) + copy_bytes);
	udp->check = 0;
	count(MRTOM_RETRANSMITS_ANSWERED);
	return XDP_TX;
}

SEC("xdp")
int mrtom_sequencer(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *data_end = (__u8 *)(long)ctx->data_end;
	__u32 zero = 0;

	struct ethhdr *eth = (struct ethhdr *)data;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	__u8 *mrtom = (__u8 *)(udp + 1);
	if ((__u8 *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return pass(MRTOM_PASS_NOT_IPV4);

	struct mrtom_config *config = bpf_map_lookup_elem(&mrtom_config, &zero);
	if (!config || config->sequencer_ip == 0)
		return pass(MRTOM_PASS_UNCONFIGURED);
	if (ip->protocol != IPPROTO_UDP || ip->daddr != config->sequencer_ip)
		return pass(MRTOM_PASS_FOREIGN);
	/* A fragment (more to come, or not the first): the header may be incomplete or belong to another
	 * datagram. The stack reassembles it and the agent drops it, counted (docs/xdp.md). */
	if (ip->frag_off & bpf_htons(0x3fff))
		return pass(MRTOM_PASS_FRAGMENT);
	if (ip->ihl != 5 || ip->version != 4)
		return pass(MRTOM_PASS_FOREIGN);
	if ((__u8 *)(udp + 1) > data_end || udp->dest != config->sequencer_port)
		return pass(MRTOM_PASS_FOREIGN);
	if (mrtom + MRTOM_HEADER_BYTES > data_end)
		return pass(MRTOM_PASS_NOT_STAMPABLE);

	/* Lengths must agree exactly, as readHeader requires (src/mrtom/header.ts). */
	__u32 ip_bytes = bpf_ntohs(ip->tot_len);
	__u32 udp_bytes = bpf_ntohs(udp->len);
	if (ip_bytes != udp_bytes + sizeof(struct iphdr) || data + sizeof(struct ethhdr) + ip_bytes > data_end ||
	    udp_bytes < sizeof(struct udphdr) + MRTOM_HEADER_BYTES || udp_bytes - sizeof(struct udphdr) > config->datagram_bytes_max ||
	    get_be32(mrtom + MRTOM_OFF_BODY_BYTES) != udp_bytes - sizeof(struct udphdr) - MRTOM_HEADER_BYTES)
		return pass(MRTOM_PASS_NOT_STAMPABLE);
	if (mrtom[0] != (MRTOM_MAGIC >> 8) || mrtom[1] != (MRTOM_MAGIC & 0xff) || mrtom[2] != MRTOM_VERSION ||
	    !is_u53(mrtom + MRTOM_OFF_SEQ) || !is_u53(mrtom + MRTOM_OFF_COMMIT) || !is_u53(mrtom + MRTOM_OFF_REQUEST_ID) ||
	    get_be32(mrtom + MRTOM_OFF_GROUP) != config->group)
		return pass(MRTOM_PASS_NOT_STAMPABLE);
	if (mrtom[3] != MRTOM_TYPE_REQUEST && mrtom[3] != MRTOM_TYPE_ACK && mrtom[3] != MRTOM_TYPE_RETRANSMIT)
		return pass(MRTOM_PASS_NOT_STAMPABLE);

	/* Submitters send REQUESTs from their replica's socket, and replicas ACK from it too. */
	struct mrtom_source source = { .ip = ip->saddr, .port = udp->source };
	struct mrtom_replica *replica = bpf_map_lookup_elem(&mrtom_replicas, &source);
	struct mrtom_session *session = bpf_map_lookup_elem(&mrtom_session, &zero);
	struct mrtom_acks *acks = bpf_map_lookup_elem(&mrtom_acks, &zero);
	__u32 *ack_owner = bpf_map_lookup_elem(&mrtom_ack_owner, &zero);
	if (!replica || !session || !acks || !ack_owner)
		return pass(MRTOM_PASS_NOT_STAMPABLE);

	if (mrtom[3] == MRTOM_TYPE_RETRANSMIT)
		return answer_retransmit(ctx, config, replica, session, acks, ack_owner, udp_bytes);

	if (mrtom[3] == MRTOM_TYPE_ACK) {
		/* Only an ACK without NO-OPs, in the session and view served, bound to this incarnation, from the
		 * replica it names, for seqs that were stamped; the agent judges every other one. */
		if (udp_bytes != sizeof(struct udphdr) + MRTOM_HEADER_BYTES || get_be32(mrtom + MRTOM_OFF_SENDER) != replica->id ||
		    replica->index >= MRTOM_REPLICAS_MAX)
			return pass(MRTOM_PASS_ACK);
		__u64 through = get_be64(mrtom + MRTOM_OFF_SEQ);
		struct mrtom_served served = served_session(session);
		__u32 session_id = served.session;
		if (!names_served(mrtom, &served) || through > served.seq_last || config->replica_count == 0)
			return pass(MRTOM_PASS_ACK);
		struct mrtom_commit_scratch *scratch = bpf_map_lookup_elem(&mrtom_scratch, &zero);
		if (!scratch)
			return pass(MRTOM_PASS_ACK);
		__u32 leader = served.view % config->replica_count;
		__u32 index = replica->index;
		int owned = 1;
		bpf_spin_lock(&acks->lock);
		/* The agent sets the owner before it reads the aggregate, and this reads it under the lock: an
		 * ACK either lands before the agent's read or passes up to it. */
		if (acks->session == session_id && *ack_owner != session_id && index < MRTOM_REPLICAS_MAX) {
			owned = 0;
			if (through > acks->throughs[index])
				acks->throughs[index] = through;
			__builtin_memcpy(scratch->throughs, acks->throughs, sizeof(scratch->throughs));
		}
		bpf_spin_unlock(&acks->lock);
		if (owned)
			return pass(MRTOM_PASS_ACK);
		count(MRTOM_ACKS_AGGREGATED);
		/* Computed on a snapshot, outside the lock: throughs only grow, so the point is held at least by
		 * then; commit only moves up, under the lock. */
		__u64 point = commit_point(scratch, leader, config->replica_count, config->faults_tolerated);
		__u64 committed = 0;
		bpf_spin_lock(&acks->lock);
		if (acks->session == session_id && point > acks->commit) {
			acks->commit = point;
			committed = point;
		}
		bpf_spin_unlock(&acks->lock);
		if (committed == 0)
			return XDP_DROP;
		/* This ACK advanced commit: it becomes the COMMIT notice (no NO-OPs in this session, so no body). */
		mrtom[3] = MRTOM_TYPE_COMMIT;
		put_be64(mrtom + MRTOM_OFF_SEQ, served.seq_last);
		put_be64(mrtom + MRTOM_OFF_COMMIT, committed);
		put_be64(mrtom + MRTOM_OFF_REQUEST_ID, 0);
		put_be32(mrtom + MRTOM_OFF_SENDER, 0);
		put_be32(mrtom + MRTOM_OFF_INCARNATION, served.incarnation);
		count(MRTOM_COMMIT_NOTICES);
		return send_to_group(config, eth, ip, udp);
	}

	/* Already stamped (session != 0): the agent counts it as the userspace plane does. */
	if (get_be32(mrtom + MRTOM_OFF_SESSION) != 0)
		return pass(MRTOM_PASS_NOT_STAMPABLE);
	__u32 copy_bytes = udp_bytes - sizeof(struct udphdr);
	struct mrtom_copy *copy = bpf_map_lookup_elem(&mrtom_copy_scratch, &zero);
	__u32 ring_entries = config->ring_entries;
	if (!copy || ring_entries == 0 || copy_bytes > MRTOM_COPY_BYTES_MAX || copy_bytes < MRTOM_HEADER_BYTES)
		return pass(MRTOM_PASS_NOT_STAMPABLE);
	/* The seq and the session it belongs to are taken together: the agent replaces both at once, under
	 * the same lock, when a leader starts a new session. */
	bpf_spin_lock(&session->lock);
	__u32 session_id = session->session;
	__u32 view = session->view;
	__u32 incarnation = session->incarnation;
	__u64 seq = session_id == 0 ? 0 : ++session->seq_last;
	bpf_spin_unlock(&session->lock);
	if (session_id == 0)
		return pass(MRTOM_PASS_NOT_STAMPABLE);
	bpf_spin_lock(&acks->lock);
	__u64 commit = acks->session == session_id ? acks->commit : 0;
	bpf_spin_unlock(&acks->lock);

	mrtom[3] = MRTOM_TYPE_ORDERED;
	put_be32(mrtom + MRTOM_OFF_SESSION, session_id);
	put_be32(mrtom + MRTOM_OFF_VIEW, view);
	put_be64(mrtom + MRTOM_OFF_SEQ, seq);
	put_be64(mrtom + MRTOM_OFF_COMMIT, commit);
	put_be32(mrtom + MRTOM_OFF_INCARNATION, incarnation);
	count(MRTOM_STAMPED);

	/* The copy for retransmission (docs/design.md §2 step 2): the ORDERED exactly as it goes out. */
	__u32 slot_index = (__u32)(seq % ring_entries);
	struct mrtom_copy *slot = bpf_map_lookup_elem(&mrtom_ring, &slot_index);
	if (slot && bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr), copy->datagram, copy_bytes) == 0) {
		__u64 stamped_ns = bpf_ktime_get_ns();
		bpf_spin_lock(&slot->lock);
		slot->session = session_id;
		slot->seq = seq;
		slot->stamped_ns = stamped_ns;
		slot->bytes = copy_bytes;
		__u64 *to = (__u64 *)slot->datagram;
		__u64 *from = (__u64 *)copy->datagram;
		for (__u32 word = 0; word < MRTOM_COPY_BYTES_MAX / 8 && word < (copy_bytes + 7) / 8; word++)
			to[word] = from[word];
		bpf_spin_unlock(&slot->lock);
	} else {
		count(MRTOM_COPY_FAILED);
	}
	/* The packet pointers are stale after a helper that may touch the frame: derive them again. */
	data = (__u8 *)(long)ctx->data;
	data_end = (__u8 *)(long)ctx->data_end;
	eth = (struct ethhdr *)data;
	ip = (struct iphdr *)(eth + 1);
	udp = (struct udphdr *)(ip + 1);
	if ((__u8 *)(udp + 1) > data_end)
		return XDP_DROP;
	return send_to_group(config, eth, ip, udp);
}
