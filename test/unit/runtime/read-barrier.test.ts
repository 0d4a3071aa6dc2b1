// Proves concurrent linearizable reads share barriers: reads arriving while one barrier is in flight wait
// for the next one (which is ordered after them), so N concurrent reads cost two barriers, and a failed
// barrier fails only the reads that waited on it. How: a ReadBarrier over promises the test resolves.
import { describe, expect, it } from 'vitest';
import { ReadBarrier } from '../../../src/runtime/read-barrier.js';

function controlled() {
  const pending: Array<{ resolve(): void; reject(err: Error): void }> = [];
  const barrier = new ReadBarrier(() => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })));
  return { barrier, pending };
}

describe('read barrier batching', () => {
  it('serves many concurrent reads with two barriers, and no read before a barrier issued after it began', async () => {
    const { barrier, pending } = controlled();
    const served: number[] = [];
    const first = barrier.wait().then(() => served.push(0));
    const later = Array.from({ length: 50 }, (_, i) => barrier.wait().then(() => served.push(i + 1)));
    expect(pending).toHaveLength(1);
    pending[0]!.resolve();
    await first;
    // The 50 later reads began after barrier 1 was issued, so they wait for barrier 2.
    expect(served).toEqual([0]);
    await Promise.resolve();
    expect(pending).toHaveLength(2);
    pending[1]!.resolve();
    await Promise.all(later);
    expect(served).toHaveLength(51);
    expect(barrier.submitted).toBe(2);
  });

  it('fails the reads of a failed barrier and starts afresh for the next', async () => {
    const { barrier, pending } = controlled();
    const failing = barrier.wait();
    pending[0]!.reject(new Error('no quorum'));
    await expect(failing).rejects.toThrow('no quorum');
    const next = barrier.wait();
    pending[1]!.resolve();
    await expect(next).resolves.toBeUndefined();
  });
});
