// The targets the runner knows, in the order they run by default.
import { baseline } from './baseline.js';
import { etcd } from './etcd.js';
import { mrtomKv } from './mrtom-kv.js';
import type { Target } from './target.js';

export const targets: readonly Target[] = [mrtomKv, baseline, etcd];
export const baselineName = baseline.name;
export const mrtomKvName = mrtomKv.name;
export const etcdName = etcd.name;

export function targetNamed(name: string): Target {
  const target = targets.find((candidate) => candidate.name === name);
  if (target === undefined) throw new Error(`unknown target ${name}`);
  return target;
}
