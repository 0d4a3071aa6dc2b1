// Target (c): a 3-member etcd cluster on loopback, written through its JSON gateway. etcd fsyncs
// its WAL before acknowledging a put, like mrtom-kv's default durability.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { startChild } from '../child.js';
import { freePortRun } from '../ports.js';
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

export const etcd: Target = {
  name: 'etcd',
  unavailableReason: () => (findOnPath('etcd') === undefined ? `no etcd binary on PATH; ${installHint}` : undefined),
  async deploy(dataDir) {
    // Client ports first, then peer ports, all in one free run.
    const base = await freePortRun(2 * memberCount);
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
    return {
      children,
      // /health answers 200 with {"health":"false"} until the cluster has a leader.
      probes: members.map((member) => ({
        url: `${member.client}/health`,
        isReady: (status, body) => status === 200 && body.includes('"health":"true"'),
      })),
      loadOrigins: members.map((member) => member.client),
      writeRequest: (key, value) => ({
        method: 'POST',
        path: '/v3/kv/put',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(
          JSON.stringify({
            key: Buffer.from(key).toString('base64'),
            value: value.toString('base64'),
          }),
        ),
      }),
    };
  },
};
