// The whole cluster's state, one row per replica (etcdctl endpoint status --cluster): each replica is
// asked directly — its /v1/status and its /readyz — so a row shows what that replica itself says. The
// replicas are the client's endpoints plus every peer their status names.
import { request } from 'undici';

export interface PeerStatus {
  id: number;
  url: string;
  ready: boolean;
  detail: string;
}

/** GET /v1/status (docs/api.md, Operations). */
export interface NodeStatus {
  id: number;
  status: string;
  view: number;
  session: number;
  sequencerId: number;
  commitSlot: number;
  appliedSlot: number;
  revision: number;
  peers: PeerStatus[];
}

export interface ReplicaReport {
  url: string;
  /** Absent when the replica did not answer. */
  node?: NodeStatus;
  /** `leader` or `follower` in a normal view (the leader of view v is the (v mod n)-th replica id,
   *  docs/protocol.md); otherwise the replica's status, e.g. `view_change`. */
  role?: string;
  /** Slots this replica has yet to apply up to the highest commit slot any replica reports. */
  lagSlots?: number;
  ready: boolean;
  /** `ready`, the failing readiness checks, or why the replica could not be asked. */
  health: string;
}

const PROBE_TIMEOUT_MS = 2_000;

async function getJson(url: string, signal: AbortSignal, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await request(url, {
    headers,
    headersTimeout: PROBE_TIMEOUT_MS,
    bodyTimeout: PROBE_TIMEOUT_MS,
    signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
  });
  const text = await res.body.text();
  try {
    return { status: res.statusCode, body: JSON.parse(text) };
  } catch {
    return { status: res.statusCode, body: text };
  }
}

function failedChecks(body: unknown): string {
  const checks = (body as { checks?: Array<{ name: string; ok: boolean; detail: string }> }).checks ?? [];
  const failing = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  return failing.length > 0 ? `not ready (${failing.join('; ')})` : 'not ready';
}

async function probe(url: string, signal: AbortSignal, headers: Record<string, string>): Promise<ReplicaReport> {
  try {
    const [status, ready] = await Promise.all([getJson(`${url}/v1/status`, signal, headers), getJson(`${url}/readyz`, signal, headers)]);
    const isReady = ready.status === 200;
    const health = isReady ? 'ready' : failedChecks(ready.body);
    if (status.status !== 200) return { url, ready: isReady, health: `${health}; /v1/status answered ${status.status}` };
    return { url, node: status.body as NodeStatus, ready: isReady, health };
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    return { url, ready: false, health: `unreachable: ${(err as Error).message}` };
  }
}

function roleOf(node: NodeStatus): string {
  if (node.status !== 'normal') return node.status;
  const ids = [node.id, ...node.peers.map((p) => p.id)].sort((a, b) => a - b);
  return ids[node.view % ids.length] === node.id ? 'leader' : 'follower';
}

/** `headers`: what every request carries (the client's Authorization). */
export async function clusterStatus(
  endpoints: readonly string[],
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<ReplicaReport[]> {
  const first = await Promise.all(endpoints.map((url) => probe(url, signal, headers)));
  const known = new Set(endpoints);
  const peers = first.flatMap((r) => r.node?.peers.map((p) => p.url) ?? []).filter((url) => !known.has(url));
  const reports = [...first, ...(await Promise.all([...new Set(peers)].map((url) => probe(url, signal, headers))))];
  const commitSlotMax = Math.max(0, ...reports.map((r) => r.node?.commitSlot ?? 0));
  for (const report of reports) {
    if (report.node === undefined) continue;
    report.role = roleOf(report.node);
    report.lagSlots = Math.max(0, commitSlotMax - report.node.appliedSlot);
  }
  // Ordered by replica id where known, so the table reads the same on every run.
  return reports.sort(
    (a, b) => (a.node?.id ?? Number.MAX_SAFE_INTEGER) - (b.node?.id ?? Number.MAX_SAFE_INTEGER) || a.url.localeCompare(b.url),
  );
}
