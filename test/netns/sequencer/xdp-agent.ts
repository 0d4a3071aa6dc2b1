// The XDP agent's life cycle, with the real CLI in a network namespace: a program the verifier refuses
// is reported with the verifier's reason and a non-zero exit; a datagramBytesMax that does not fit the
// interface's MTU is refused; it runs unprivileged with the capabilities deploy/ grants, and names one
// that is missing; and the program is detached when the agent exits, even by kill -9.
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XDP_CAPABILITIES } from '../../../src/sequencer/xdp/capabilities.js';
import { waitFor } from '../../integration/harness/wait.js';
import { createClusterHosts, METRICS_URL, writeClusterConfig, type ClusterHosts } from './cluster.js';
import { DATA_PLANES } from './planes.js';
import { MrtomProcess } from './processes.js';
import { destroyTopology } from './topology.js';

/** The XDP agent's start, refusal and exit, in one topology. */
export function describeXdpAgent(): void {
  const xdp = DATA_PLANES.find((p) => p.name === 'xdp')!;
  const REJECTED_SOURCE = fileURLToPath(new URL('./fixtures/rejected.bpf.c', import.meta.url));
  const DETACH_DEADLINE_MS = 5_000;

  describe.skipIf(xdp.unavailableReason !== null)('the XDP agent', () => {
    let dataDir: string;
    let hosts: ClusterHosts;
    let configPath: string;

    const xdpAttached = (): boolean =>
      execFileSync('ip', ['-n', hosts.sequencer.ns, 'link', 'show', hosts.sequencer.ns], { encoding: 'utf8' }).includes('prog/xdp');

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'mrtom-m5-agent-'));
      hosts = createClusterHosts();
      configPath = await writeClusterConfig(dataDir, hosts);
    });

    afterAll(async () => {
      destroyTopology();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("prints the verifier's reason and exits non-zero when the kernel refuses the program", async () => {
      const rejected = join(dataDir, 'rejected.bpf.o');
      const machine = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
      execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${machine}-linux-gnu`, '-c', REJECTED_SOURCE, '-o', rejected]);
      const flags = [...xdp.flags(hosts.sequencer.ns), '--xdp-object', rejected];
      const sequencer = MrtomProcess.sequencer(hosts.sequencer, configPath, flags, METRICS_URL);
      expect(await sequencer.exit()).not.toBe(0);
      const output = sequencer.output.join('\n');
      expect(output).toContain('the kernel refused the BPF program');
      expect(output).toMatch(/invalid access to packet/);
      expect(xdpAttached()).toBe(false);
    });

    it('refuses a datagramBytesMax that does not fit one frame of the interface', async () => {
      const tooLarge = await writeClusterConfig(await mkdtemp(join(dataDir, 'too-large-')), hosts, { datagramBytesMax: 1500 - 28 + 1 });
      const sequencer = MrtomProcess.sequencer(hosts.sequencer, tooLarge, xdp.flags(hosts.sequencer.ns), METRICS_URL);
      expect(await sequencer.exit()).toBe(2);
      expect(sequencer.output.join('\n')).toContain('set datagramBytesMax <= 1472');
    });

    // What deploy/ grants an XDP sequencer (deploy-checks.ts holds the manifests to the same list).
    const asNobodyWith = (caps: readonly string[]): string[] => {
      const set = caps.map((c) => `+${c.toLowerCase()}`).join(',');
      return ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=${set}`, `--ambient-caps=${set}`];
    };
    const readableConfig = async (): Promise<string> => {
      const dir = await mkdtemp(join(dataDir, 'unprivileged-'));
      await chmod(dataDir, 0o755);
      await chmod(dir, 0o755);
      const path = await writeClusterConfig(dir, hosts);
      await chmod(path, 0o644);
      return path;
    };

    it('runs as an unprivileged user with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON only', async () => {
      const caps = Object.keys(XDP_CAPABILITIES);
      const sequencer = MrtomProcess.sequencer(
        hosts.sequencer,
        await readableConfig(),
        xdp.flags(hosts.sequencer.ns),
        METRICS_URL,
        asNobodyWith(caps),
      );
      await sequencer.ready();
      expect(xdpAttached()).toBe(true);
      sequencer.kill('SIGTERM');
      expect(await sequencer.exit()).toBe(0);
      await waitFor('the XDP program to be detached', async () => (xdpAttached() ? undefined : true), DETACH_DEADLINE_MS);
    });

    it('names the capability it lacks instead of failing in the verifier', async () => {
      const sequencer = MrtomProcess.sequencer(
        hosts.sequencer,
        await readableConfig(),
        xdp.flags(hosts.sequencer.ns),
        METRICS_URL,
        asNobodyWith(['BPF', 'NET_ADMIN']),
      );
      expect(await sequencer.exit()).toBe(2);
      expect(sequencer.output.join('\n')).toContain('this process lacks CAP_PERFMON');
      expect(xdpAttached()).toBe(false);
    });

    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      it(`detaches the program when the agent ends by ${signal}`, async () => {
        const sequencer = MrtomProcess.sequencer(hosts.sequencer, configPath, xdp.flags(hosts.sequencer.ns), METRICS_URL);
        await sequencer.ready();
        expect(xdpAttached()).toBe(true);
        sequencer.kill(signal);
        await sequencer.exit();
        await waitFor('the XDP program to be detached', async () => (xdpAttached() ? undefined : true), DETACH_DEADLINE_MS);
      });
    }
  });
}
