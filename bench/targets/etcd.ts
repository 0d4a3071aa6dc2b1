// Target (c): a 3-member etcd cluster on loopback, used through its HTTP/JSON gateway (the same
// load generator as the others; etcd's own gRPC clients would skip the gateway's translation).
// etcd fsyncs its WAL before acknowledging a put, like mrtom-kv's default durability.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pidOf, startChild } from '../child.js';
import { postJson } from '../control-http.js';
import { freePortBase, tcpRun } from '../ports.js';
import type { Target } from './target.js';

const memberCount = 3;
const installHint = 'install it with `apt-get install etcd-server` (Debian/Ubuntu) or put an etcd binary on PATH';

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; try the next one.
    }
  }
  return undefined;
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}

interface MemberStatus {
  header: { member_id: string };
  leader: string;
  raftIndex: string;
}

export const etcd: Target = {
  name: 'etcd',
  api: {
    writer: (value) => {
      const encodedValue = value.toString('base64');
      return (key) => ({
        method: 'POST',
        path: '/v3/kv/put',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ key: base64(key), value: encodedValue })),
      });
    },
    // A range is linearizable by default (a ReadIndex round through the leader); serializable
    // answers from the member's own state, etcd's stale read.
    read: (key, consistency) => ({
      method: 'POST',
      path: '/v3/kv/range',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(consistency === 'stale' ? { key: base64(key), serializable: true } : { key: base64(key) })),
    }),
  },
  unavailableReason: () => (findOnPath('etcd') === undefined ? `no etcd binary on PATH; ${installHint}` : undefined),
  async deploy(dataDir) {
    // Client ports first, then peer ports, all in one free run.
    const base = await freePortBase(tcpRun(2 * memberCount));
    const members = Array.from({ length: memberCount }, (_, index) => ({
      name: `m${index}`,
      client: `http://127.0.0.1:${base + index}`,
      peer: `http://127.0.0.1:${base + memberCount + index}`,
    }));
    const initialCluster = members.map((member) => `${member.name}=${member.peer}`).join(',');
    const children = members.map((member) =>
      startChild(
        `etcd ${member.name}`,
        'etcd',
        [
          '--name',
          member.name,
          '--data-dir',
          join(dataDir, member.name),
          '--listen-client-urls',
          member.client,
          '--advertise-client-urls',
          member.client,
          '--listen-peer-urls',
          member.peer,
          '--initial-advertise-peer-urls',
          member.peer,
          '--initial-cluster',
          initialCluster,
          '--initial-cluster-state',
          'new',
          '--initial-cluster-token',
          `bench-${base}`,
          '--logger',
          'zap',
          '--log-level',
          'warn',
        ],
        dataDir,
      ),
    );
    const statuses = (): Promise<MemberStatus[]> =>
      Promise.all(members.map(async (member) => (await postJson(`${member.client}/v3/maintenance/status`, {})) as MemberStatus));
    return {
      children,
      // /health answers 200 with {"health":"false"} until the cluster has a leader.
      probes: members.map((member) => ({
        url: `${member.client}/health`,
        isReady: (status, body) => status === 200 && body.includes('"health":"true"'),
      })),
      loadOrigins: members.map((member) => member.client),
      async roles() {
        const memberStatuses = await statuses();
        return members.map((member, index) => ({
          role: `member ${member.name}`,
          pid: pidOf(children[index]!),
          isServer: true,
          isLeader: memberStatuses[index]!.header.member_id === memberStatuses[index]!.leader,
        }));
      },
      // The raft index counts every log entry, so entries per operation compare with mrtom-kv's slots.
      async counters() {
        const memberStatuses = await statuses();
        return { logEntries: Math.max(...memberStatuses.map((status) => Number(status.raftIndex))) };
      },
    };
  },
};
