// The request mixes a load generator can issue. Each turns the n-th request of a generator into an
// HTTP request on one target's API; reads and the mixed workload's writes go to keys seeded
// before the first run that needs them (bench/seed.ts), so every read finds its key.
import type { HttpRequest, TargetApi } from './targets/target.js';

export const workloadNames = ['write', 'mixed', 'read-linearizable', 'read-stale'] as const;
export type WorkloadName = (typeof workloadNames)[number];

export const seedKeyCount = 1_000;
// A prime with no common factor with seedKeyCount, so consecutive requests walk every key in an
// order unrelated to the one they were seeded in.
const keyStride = 7_919;
// The mixed workload: one request in ten is a write.
const mixedWritePeriod = 10;

export interface RequestContext {
  api: TargetApi;
  value: Buffer;
  // Unique per generator and run, so every write of the write workload inserts a new key.
  keyPrefix: string;
}

export interface Workload {
  name: WorkloadName;
  summary: string;
  usesSeedKeys: boolean;
  requestSource(context: RequestContext): (n: number) => HttpRequest;
}

export function seedKeyOf(valueBytes: number, index: number): string {
  return `seed-${valueBytes}/${index}`;
}

function seedKeys(valueBytes: number): string[] {
  return Array.from({ length: seedKeyCount }, (_, index) => seedKeyOf(valueBytes, index));
}

function seedIndex(n: number): number {
  return (n * keyStride) % seedKeyCount;
}

function readsOf(context: RequestContext, consistency: 'linearizable' | 'stale'): (n: number) => HttpRequest {
  const reads = seedKeys(context.value.length).map((key) => context.api.read(key, consistency));
  return (n) => reads[seedIndex(n)]!;
}

export const workloads: Record<WorkloadName, Workload> = {
  write: {
    name: 'write',
    summary: '100% PUT, a new key per request',
    usesSeedKeys: false,
    requestSource(context) {
      const write = context.api.writer(context.value);
      return (n) => write(`${context.keyPrefix}/${n}`);
    },
  },
  mixed: {
    name: 'mixed',
    summary: '90% linearizable GET / 10% PUT over the 1,000 seeded keys',
    usesSeedKeys: true,
    requestSource(context) {
      const write = context.api.writer(context.value);
      const writes = seedKeys(context.value.length).map(write);
      const read = readsOf(context, 'linearizable');
      return (n) => (n % mixedWritePeriod === mixedWritePeriod - 1 ? writes[seedIndex(n)]! : read(n));
    },
  },
  'read-linearizable': {
    name: 'read-linearizable',
    summary: '100% linearizable GET (etcd: default range) over the 1,000 seeded keys',
    usesSeedKeys: true,
    requestSource: (context) => readsOf(context, 'linearizable'),
  },
  'read-stale': {
    name: 'read-stale',
    summary: '100% stale GET, ?consistency=stale (etcd: serializable range; baseline: its GET) over the 1,000 seeded keys',
    usesSeedKeys: true,
    requestSource: (context) => readsOf(context, 'stale'),
  },
};
