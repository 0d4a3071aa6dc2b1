// The simulated network must do exactly what the fault plan says: deliver within the latency bounds,
// lose and duplicate at the configured rates, block partitioned links in one direction only, and give
// every receiver its own copy of the bytes.
import { describe, expect, it } from 'vitest';
import { Network, type LinkConditions, type NodeName } from './network.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { Tracer } from './trace.js';

const CALM: LinkConditions = { lossRate: 0, duplicateRate: 0, latencyMsMin: 1, latencyMsMax: 3 };

function harness(conditions: LinkConditions = CALM, seed = 1) {
  const scheduler = new Scheduler();
  const received: Array<{ to: NodeName; from: NodeName; bytes: Uint8Array; atMs: number }> = [];
  const network = new Network(
    scheduler,
    new Prng(seed),
    new Tracer(false),
    (to, from, bytes) => received.push({ to, from, bytes, atMs: scheduler.nowMs }),
    conditions,
  );
  return { scheduler, network, received };
}

describe('Network', () => {
  it('delivers every datagram within the latency bounds on a calm network', async () => {
    const { scheduler, network, received } = harness();
    for (let i = 0; i < 200; i += 1) network.send('r1', 's1', new Uint8Array([i]));
    await scheduler.runUntil(100);
    expect(received).toHaveLength(200);
    for (const datagram of received) {
      expect(datagram.atMs).toBeGreaterThanOrEqual(1);
      expect(datagram.atMs).toBeLessThan(3);
    }
  });

  it('reorders datagrams when latency varies', async () => {
    const { scheduler, network, received } = harness({ ...CALM, latencyMsMax: 20 });
    for (let i = 0; i < 50; i += 1) network.send('s1', 'r2', new Uint8Array([i]));
    await scheduler.runUntil(100);
    const order = received.map((datagram) => datagram.bytes[0]);
    expect(order).not.toEqual([...order].sort((a, b) => a! - b!));
  });

  it('loses datagrams at the configured rate and duplicates some', async () => {
    const { scheduler, network, received } = harness({ ...CALM, lossRate: 0.3, duplicateRate: 0.1 });
    for (let i = 0; i < 5000; i += 1) network.send('r1', 'r2', new Uint8Array([1]));
    await scheduler.runUntil(100);
    expect(network.stats.lost / 5000).toBeGreaterThan(0.27);
    expect(network.stats.lost / 5000).toBeLessThan(0.33);
    expect(network.stats.duplicated).toBeGreaterThan(0);
    expect(received).toHaveLength(5000 - network.stats.lost + network.stats.duplicated);
  });

  it('blocks a one-way partition in its direction only, until every partition cutting it heals', async () => {
    const { scheduler, network, received } = harness();
    network.block('r1', 's1');
    network.send('r1', 's1', new Uint8Array([1]));
    network.send('s1', 'r1', new Uint8Array([2]));
    await scheduler.runUntil(10);
    expect(received.map((d) => `${d.from}>${d.to}`)).toEqual(['s1>r1']);
    network.block('r1', 's1');
    network.unblock('r1', 's1');
    network.send('r1', 's1', new Uint8Array([3]));
    await scheduler.runUntil(20);
    expect(received).toHaveLength(1); // Still cut by the first of the two overlapping partitions.
    network.unblock('r1', 's1');
    network.send('r1', 's1', new Uint8Array([4]));
    await scheduler.runUntil(30);
    expect(received.map((d) => `${d.from}>${d.to}`)).toEqual(['s1>r1', 'r1>s1']);
  });

  it('gives each receiver its own copy of the bytes', async () => {
    const { scheduler, network, received } = harness();
    const bytes = new Uint8Array([7, 7]);
    network.send('s1', 'r1', bytes);
    network.send('s1', 'r2', bytes);
    bytes[0] = 9;
    await scheduler.runUntil(10);
    received[0]!.bytes[1] = 0;
    expect([...received[1]!.bytes]).toEqual([7, 7]);
  });

  it('makes the same choices for the same seed', async () => {
    const run = async (seed: number) => {
      const { scheduler, network, received } = harness({ lossRate: 0.2, duplicateRate: 0.05, latencyMsMin: 0, latencyMsMax: 10 }, seed);
      for (let i = 0; i < 300; i += 1) network.send('r1', 'r2', new Uint8Array([i % 256]));
      await scheduler.runUntil(100);
      return received.map((d) => `${d.bytes[0]}@${d.atMs}`);
    };
    expect(await run(3)).toEqual(await run(3));
    expect(await run(3)).not.toEqual(await run(4));
  });
});
