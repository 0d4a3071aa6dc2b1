// Writes the keys the read and mixed workloads use, once per deployment and value size, through
// the target's own write API, a few requests at a time spread over its origins.
import { randomBytes } from 'node:crypto';
import { send } from './control-http.js';
import { seedKeyCount, seedKeyOf } from './workloads.js';
import type { Deployment, TargetApi } from './targets/target.js';

// Enough in flight to seed 1,000 keys in seconds even at mrtom-kv's one-connection latency.
const seedConcurrency = 32;

export async function seedKeys(api: TargetApi, deployment: Deployment, valueBytes: number): Promise<void> {
  const write = api.writer(randomBytes(valueBytes));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < seedKeyCount) {
      const index = next++;
      const origin = deployment.loadOrigins[index % deployment.loadOrigins.length]!;
      const { status, text } = await send(origin, write(seedKeyOf(valueBytes, index)));
      if (status < 200 || status > 299)
        throw new Error(`seeding ${seedKeyOf(valueBytes, index)} answered ${status}: ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: seedConcurrency }, worker));
}
