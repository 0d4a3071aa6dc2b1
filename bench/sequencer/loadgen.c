// SPDX-License-Identifier: Apache-2.0
// The sequencer bench's replica stand-in (bench/sequencer/run.ts): bound to one replica's address, joined
// to the group, it sends unstamped REQUESTs to the sequencer as fast as the socket takes them (sendmmsg,
// if --send) and ACKs, every millisecond, the highest seq it has received in the session — so neither
// data plane spends the run resending to replicas that look dead. Bounded by a duration and a count.
// Prints one JSON line: {"sent":N,"received":N,"acks":N}.
// argv: replicaId host port sequencerHost sequencerPort groupAddress groupPort groupId seconds sendMax
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADER_BYTES 52
#define BODY_BYTES 16
#define BATCH 64

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void put32(uint8_t *at, uint32_t v) { v = htonl(v); memcpy(at, &v, 4); }
static void put64(uint8_t *at, uint64_t v) { v = htobe64(v); memcpy(at, &v, 8); }
static uint32_t get32(const uint8_t *at) { uint32_t v; memcpy(&v, at, 4); return ntohl(v); }
static uint64_t get64(const uint8_t *at) { uint64_t v; memcpy(&v, at, 8); return be64toh(v); }

static void header(uint8_t *out, uint8_t type, uint32_t group, uint32_t session, uint64_t seq, uint64_t request_id,
		   uint32_t sender, uint32_t incarnation, uint32_t body_bytes)
{
	memset(out, 0, HEADER_BYTES);
	out[0] = 0x4d, out[1] = 0x54, out[2] = 1, out[3] = type;
	put32(out + 4, group), put32(out + 8, session), put64(out + 16, seq), put64(out + 32, request_id);
	put32(out + 40, sender), put32(out + 44, incarnation), put32(out + 48, body_bytes);
}

static int udp_socket(const char *host, int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int one = 1, buffer = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, host, &at.sin_addr);
	if (bind(fd, (struct sockaddr *)&at, sizeof(at)) != 0) {
		perror("bind");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 11) {
		fprintf(stderr, "usage: loadgen replicaId host port sequencerHost sequencerPort groupAddress groupPort groupId seconds sendMax\n");
		return 2;
	}
	uint32_t replica = atoi(argv[1]), group_id = strtoul(argv[8], NULL, 10);
	double seconds = atof(argv[9]);
	long send_max = atol(argv[10]);
	int unicast = udp_socket(argv[2], atoi(argv[3]));
	int multicast = udp_socket(argv[6], atoi(argv[7]));
	struct ip_mreq join = { 0 };
	inet_pton(AF_INET, argv[6], &join.imr_multiaddr);
	inet_pton(AF_INET, argv[2], &join.imr_interface);
	if (setsockopt(multicast, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof(join)) != 0) {
		perror("IP_ADD_MEMBERSHIP");
		return 1;
	}
	struct sockaddr_in sequencer = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[5])) };
	inet_pton(AF_INET, argv[4], &sequencer.sin_addr);

	static uint8_t requests[BATCH][HEADER_BYTES + BODY_BYTES];
	struct mmsghdr messages[BATCH];
	struct iovec vectors[BATCH];
	static uint8_t received[BATCH][2048];
	struct mmsghdr inbound[BATCH];
	struct iovec inbound_vectors[BATCH];
	for (int i = 0; i < BATCH; i++) {
		vectors[i] = (struct iovec){ requests[i], sizeof(requests[i]) };
		messages[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &sequencer, .msg_namelen = sizeof(sequencer), .msg_iov = &vectors[i], .msg_iovlen = 1 } };
		inbound_vectors[i] = (struct iovec){ received[i], sizeof(received[i]) };
		inbound[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &inbound_vectors[i], .msg_iovlen = 1 } };
	}

	long sent = 0, got = 0, acks = 0;
	uint64_t request_id = (uint64_t)replica << 40, seq_max = 0;
	uint32_t session = 0, view = 0, incarnation = 0;
	double end = now_s() + seconds, ack_next = 0;
	while (now_s() < end) {
		if (sent < send_max) {
			int count = send_max - sent < BATCH ? (int)(send_max - sent) : BATCH;
			for (int i = 0; i < count; i++)
				header(requests[i], 1, group_id, 0, 0, ++request_id, 100 + replica, 0, BODY_BYTES);
			int n = sendmmsg(unicast, messages, count, 0);
			if (n > 0)
				sent += n;
		}
		for (int round = 0; round < 4; round++) {
			int n = recvmmsg(multicast, inbound, BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++) {
				const uint8_t *d = received[i];
				if (inbound[i].msg_len < HEADER_BYTES || d[0] != 0x4d || d[1] != 0x54)
					continue;
				got += d[3] == 2;
				if (get32(d + 8) > session)
					session = get32(d + 8), seq_max = 0;
				if (get32(d + 8) == session && (d[3] == 2 || d[3] == 6)) {
					view = get32(d + 12), incarnation = get32(d + 44);
					if (get64(d + 16) > seq_max)
						seq_max = get64(d + 16);
				}
			}
		}
		if (session != 0 && now_s() >= ack_next) {
			uint8_t ack[HEADER_BYTES];
			header(ack, 3, group_id, session, seq_max, 0, replica, incarnation, 0);
			put32(ack + 12, view);
			if (sendto(unicast, ack, sizeof(ack), 0, (struct sockaddr *)&sequencer, sizeof(sequencer)) > 0)
				acks++;
			ack_next = now_s() + 0.001;
		}
		if (sent >= send_max)
			usleep(200);
	}
	printf("{\"sent\":%ld,\"received\":%ld,\"acks\":%ld}\n", sent, got, acks);
	return 0;
}
