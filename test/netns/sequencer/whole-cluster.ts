// A whole cluster over each data plane: three real replica processes (`mrtom-kv replica`) in their own
// namespaces, joined to the multicast group, and the real sequencer. Writes through every replica are
// readable from every other, which needs stamping, multicast delivery to the replica runtime, ACKs,
// commit notices and the session start from the leader all to work end to end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../integration/harness/wait.js';
import { createClusterHosts, METRICS_URL, writeClusterConfig } from './cluster.js';
import { DATA_PLANES } from './planes.js';
import { MrtomProcess } from './processes.js';
import { destroyTopology } from './topology.js';

/** A real cluster over each data plane, each in a fresh topology. */
export function describeWholeCluster(): void {
  const HTTP_PORT = 7000;
  const READY_DEADLINE_MS = 30_000;
  const WRITES = 30;

  for (const plane of DATA_PLANES) {
    describe.skipIf(plane.unavailableReason !== null)(`a 3-replica cluster over the ${plane.name} data plane`, () => {
      let dataDir: string;
      let processes: MrtomProcess[] = [];
      let sequencer: MrtomProcess;
      let urls: string[];

      beforeAll(async () => {
        dataDir = await mkdtemp(join(tmpdir(), 'mrtom-m5-cluster-'));
        const hosts = createClusterHosts();
        const configPath = await writeClusterConfig(dataDir, hosts, { durability: 'fsync' });
        urls = hosts.replicas.map((h) => `http://${h.ip}:${HTTP_PORT}`);
        sequencer = MrtomProcess.sequencer(hosts.sequencer, configPath, plane.flags(hosts.sequencer.ns), METRICS_URL);
        processes = [sequencer, ...hosts.replicas.map((h, i) => MrtomProcess.replica(h, configPath, i + 1, urls[i]!))];
        await Promise.all(processes.map((p) => p.ready()));
        for (const url of urls) {
          await waitFor(
            `${url}/readyz`,
            () =>
              fetch(`${url}/readyz`).then(
                (res) => (res.ok ? true : undefined),
                () => undefined,
              ),
            READY_DEADLINE_MS,
          );
        }
      });

      afterAll(async () => {
        await Promise.all(processes.map((p) => p.stop()));
        destroyTopology();
        await rm(dataDir, { recursive: true, force: true });
      });

      it('serves writes through every replica and reads them back from every other', async () => {
        for (let i = 0; i < WRITES; i += 1) {
          const res = await fetch(`${urls[i % 3]}/v1/kv/m5/${i}`, { method: 'PUT', body: `value-${i}` });
          expect(res.status).toBe(200);
        }
        for (let i = 0; i < WRITES; i += 1) {
          const res = await fetch(`${urls[(i + 1) % 3]}/v1/kv/m5/${i}`);
          expect(await res.text()).toBe(`value-${i}`);
        }
        const stamped = (await sequencer.metric('mrtom_sequencer_stamped_total')).get('') ?? 0;
        expect(stamped).toBeGreaterThanOrEqual(WRITES);
        if (plane.name === 'xdp') {
          const kernel = await sequencer.metric('mrtom_sequencer_xdp_packets_total');
          expect(kernel.get('{counter="stamped"}')).toBe(stamped);
          expect(kernel.get('{counter="acks-aggregated"}')).toBeGreaterThan(0);
        }
      });
    });
  }
}
