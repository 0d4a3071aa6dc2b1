// Convergence after heal: every replica reaches the same applied slot, at the highest commit slot any of
// them knows, and then serves a byte-identical state (digest.ts). Replicas that applied the same slots
// must hold the same state, so once the applied slots are equal and did not move while the digests were
// taken, a difference is a divergence, not a replica still catching up.
import { clusterStatus } from '../../src/client/cluster-status.js';
import { waitFor } from '../integration/harness/wait.js';
import { replicaDigest } from './digest.js';

export interface Convergence {
  converged: boolean;
  /** The store revision all replicas are at (when converged). */
  revision: number;
  detail: string;
}

interface Positions {
  /** The applied slot and store revision every replica is at, or null while they differ. */
  settled: { slot: number; revision: number } | null;
  described: string;
}

async function positions(urls: readonly string[]): Promise<Positions> {
  const reports = await clusterStatus(urls, AbortSignal.timeout(5_000));
  const described = reports
    .map((r) =>
      r.node === undefined ? `${r.url} ${r.health}` : `r${r.node.id} ${r.node.status} applied ${r.node.appliedSlot}/${r.node.commitSlot}`,
    )
    .join(', ');
  const nodes = reports.flatMap((r) => (r.node === undefined ? [] : [r.node]));
  if (nodes.length !== urls.length || nodes.some((n) => n.status !== 'normal')) return { settled: null, described };
  const commitMax = Math.max(...nodes.map((n) => n.commitSlot));
  const [first] = nodes;
  if (nodes.some((n) => n.appliedSlot !== commitMax || n.revision !== first!.revision)) return { settled: null, described };
  return { settled: { slot: commitMax, revision: first!.revision }, described };
}

export async function awaitConvergence(urls: readonly string[], deadlineMs: number): Promise<Convergence> {
  let last = 'no answer yet';
  try {
    return await waitFor(
      'the replicas to converge',
      async () => {
        const before = await positions(urls);
        last = before.described;
        if (before.settled === null) return undefined;
        const digests = await Promise.all(urls.map(replicaDigest));
        const after = await positions(urls);
        if (after.settled?.slot !== before.settled.slot) return undefined;
        const { slot, revision } = before.settled;
        if (digests.every((d) => d === digests[0]))
          return { converged: true, revision, detail: `all at slot ${slot}, revision ${revision}` };
        const which = urls.map((url, i) => `${url} ${digests[i]!.slice(0, 12)}`).join(', ');
        return { converged: false, revision, detail: `diverged at applied slot ${slot}: ${which}` };
      },
      deadlineMs,
    );
  } catch (err) {
    return { converged: false, revision: 0, detail: `${(err as Error).message}; last seen: ${last}` };
  }
}
