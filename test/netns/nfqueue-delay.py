#!/usr/bin/env python3
# The delayer: holds the frames netfilter queues to it (NFQUEUE, see netfilter.ts) and lets each one go
# after its delay, which is how the harness gets netem's `delay D jitter J` and `reorder` on a kernel
# built without netem. It speaks nfnetlink_queue directly (Python's socket module has AF_NETLINK; Node
# has no netlink), copies no payload (verdicts need only the packet id) and decides delays from a seed.
# Prints "ready" once bound; on SIGTERM it releases every held frame, prints "held N" (frames it held
# over its life) and exits.
import argparse, heapq, random, select, signal, socket, struct, sys, time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_ACCEPT = 1
# Frames held at once; more are dropped by the kernel, as a full netem queue drops them.
QUEUE_FRAMES_MAX = 16384
RECEIVE_BYTES_MAX = 1 << 20
# A SIGTERM does not interrupt select (PEP 475), so the loop looks at its flag at least this often.
STOP_CHECK_S = 0.05

parser = argparse.ArgumentParser()
parser.add_argument('--queue', type=int, required=True)
parser.add_argument('--delay-ms', type=float, required=True)
parser.add_argument('--jitter-ms', type=float, default=0)
parser.add_argument('--reorder-rate', type=float, default=0)
parser.add_argument('--seed', type=int, required=True)
args = parser.parse_args()
rng = random.Random(args.seed)
sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
sock.bind((0, 0))
sequence = 0


def attribute(kind, payload):
    head = struct.pack('=HH', 4 + len(payload), kind) + payload
    return head + b'\0' * (-len(head) % 4)


def send(message, attributes, flags=NLM_F_REQUEST):
    global sequence
    sequence += 1
    # nfgenmsg: family AF_UNSPEC, version 0, the queue number in network byte order.
    body = struct.pack('=BBH', 0, 0, socket.htons(args.queue)) + b''.join(attributes)
    sock.send(struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | message, flags, sequence, 0) + body)


def messages(data):
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from('=IH', data, offset)
        if length < 16:
            return
        yield kind, data[offset + 16:offset + length]
        offset += (length + 3) & ~3


def check_acks(count):
    """The kernel answers each NLM_F_ACK request with an error message; 0 means it took it."""
    while count > 0:
        for kind, payload in messages(sock.recv(RECEIVE_BYTES_MAX)):
            if kind == NLMSG_ERROR:
                (error,) = struct.unpack_from('=i', payload)
                if error != 0:
                    sys.exit(f'nfqueue config refused: errno {-error}')
                count -= 1


def packet_id(payload):
    offset = 4  # past nfgenmsg
    while offset + 4 <= len(payload):
        length, kind = struct.unpack_from('=HH', payload, offset)
        if length < 4:
            return None
        if kind & 0x7FFF == NFQA_PACKET_HDR:
            return struct.unpack_from('!I', payload, offset + 4)[0]
        offset += (length + 3) & ~3
    return None


def accept(pid):
    send(NFQNL_MSG_VERDICT, [attribute(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, pid))])


def hold_s():
    if args.reorder_rate > 0 and rng.random() < args.reorder_rate:
        return 0.0
    return max(0.0, args.delay_ms + rng.uniform(-args.jitter_ms, args.jitter_ms)) / 1000


send(NFQNL_MSG_CONFIG, [attribute(NFQA_CFG_CMD, struct.pack('!BxH', NFQNL_CFG_CMD_BIND, 0))], NLM_F_REQUEST | NLM_F_ACK)
send(
    NFQNL_MSG_CONFIG,
    [attribute(NFQA_CFG_PARAMS, struct.pack('!IB', 0, NFQNL_COPY_META)), attribute(NFQA_CFG_QUEUE_MAXLEN, struct.pack('!I', QUEUE_FRAMES_MAX))],
    NLM_F_REQUEST | NLM_F_ACK,
)
check_acks(2)
held = []
arrivals = 0
stopping = False


def stop(_signal, _frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
print('ready', flush=True)
while not stopping:
    now = time.monotonic()
    while held and held[0][0] <= now:
        accept(heapq.heappop(held)[2])
    readable, _, _ = select.select([sock], [], [], min(STOP_CHECK_S, max(0.0, held[0][0] - now)) if held else STOP_CHECK_S)
    if not readable:
        continue
    for kind, payload in messages(sock.recv(RECEIVE_BYTES_MAX)):
        if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            pid = packet_id(payload)
            if pid is not None:
                arrivals += 1
                heapq.heappush(held, (time.monotonic() + hold_s(), arrivals, pid))
for _, _, pid in held:
    accept(pid)
print(f'held {arrivals}', flush=True)
