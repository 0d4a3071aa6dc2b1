// Proves the per-client result cache stays within CLIENT_RESULTS_MAX and that what it forgets can no
// longer be applied again. How: drives the pure client-table functions at the cap and one past it.
import { describe, expect, it } from 'vitest';
import { CLIENT_RESULTS_MAX, admit, newClient, raiseFloor, remember } from '../../../src/store/client-table.js';
import type { OpResult } from '../../../src/store/ops.js';

const written = (revision: number): OpResult => ({ type: 'put', revision, modRevision: revision });

describe('client result cache', () => {
  it('holds exactly CLIENT_RESULTS_MAX results, and past it forgets the lowest id by raising the floor', () => {
    const client = newClient();
    // Arrival order differs from id order: the evicted id must be the lowest, not the oldest arrival.
    remember(client, 2, written(2));
    remember(client, 1, written(1));
    for (let requestId = 3; requestId <= CLIENT_RESULTS_MAX; requestId++) remember(client, requestId, written(requestId));
    expect(client.results.size).toBe(CLIENT_RESULTS_MAX);
    expect(client.floor).toBe(0);

    remember(client, CLIENT_RESULTS_MAX + 1, written(CLIENT_RESULTS_MAX + 1));
    expect(client.results.size).toBe(CLIENT_RESULTS_MAX);
    expect(client.floor).toBe(1);
    expect(admit(client, 1)).toEqual({ kind: 'below-floor' });
    expect(admit(client, 2)).toEqual({ kind: 'cached', result: written(2) });
  });

  it('raising the floor forgets exactly the results at or below it', () => {
    const client = newClient();
    for (const requestId of [3, 1, 4, 2]) remember(client, requestId, written(requestId));
    raiseFloor(client, 2);
    expect([...client.results.keys()].sort((a, b) => a - b)).toEqual([3, 4]);
    raiseFloor(client, 1);
    expect(client.floor).toBe(2);
  });
});
