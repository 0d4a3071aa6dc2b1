// What one benchmark run measures: points (workload, value size, connections), each measured once
// per round on every target. Also the two stock plans: the default subset and --full.
import { workloadNames, type WorkloadName } from './workloads.js';

export interface Point {
  workload: WorkloadName;
  valueBytes: number;
  connections: number;
}

export const fullValueBytes = [100, 4_096];
export const fullConnections = [1, 16, 64, 256];
export const referenceValueBytes = 100;
// Defaults of a list flag not given when another one is: one quick point, write at 64 connections.
export const quickWorkloads: WorkloadName[] = ['write'];
export const quickConnections = [64];

// The least that answers every target of issue M7: writes at 1, 16 and 64 connections (throughput
// and latency against both references, CPU per write), linearizable and stale reads at 64.
export const defaultPlan: readonly Point[] = [
  ...[1, 16, 64].map((connections) => ({ workload: 'write' as const, valueBytes: referenceValueBytes, connections })),
  { workload: 'read-linearizable', valueBytes: referenceValueBytes, connections: 64 },
  { workload: 'read-stale', valueBytes: referenceValueBytes, connections: 64 },
];

export function crossPlan(workloads: readonly WorkloadName[], valueBytes: readonly number[], connections: readonly number[]): Point[] {
  return workloads.flatMap((workload) =>
    valueBytes.flatMap((bytes) => connections.map((count) => ({ workload, valueBytes: bytes, connections: count }))),
  );
}

export const fullPlan: readonly Point[] = crossPlan(workloadNames, fullValueBytes, fullConnections);

// The order points run in on one deployment, each once: by value size, then writes before the
// reads of the keys seeded for that size, then by connections.
export function runOrder(points: readonly Point[]): Point[] {
  return [...new Map(points.map((point) => [pointKey(point), point])).values()].sort(
    (a, b) =>
      a.valueBytes - b.valueBytes || workloadNames.indexOf(a.workload) - workloadNames.indexOf(b.workload) || a.connections - b.connections,
  );
}

export function pointKey(point: Point): string {
  return `${point.workload}/${point.valueBytes}B/c${point.connections}`;
}

export function isSamePoint(a: Point, b: Point): boolean {
  return a.workload === b.workload && a.valueBytes === b.valueBytes && a.connections === b.connections;
}
