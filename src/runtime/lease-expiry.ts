// Lease expiry decided through the log (docs/design.md §5): only the leader measures leases' time to live, on
// its own clock, and proposes a revoke when one runs out; every replica then applies the same revoke.
// Apply never reads a clock. A new leader cannot know how long its predecessor already counted, so it
// gives every lease a fresh full TTL (as etcd does on leader change): leases may outlive their TTL across
// a view change, never expire early.
import type { AppliedEntry } from '../store/applied.js';
import type { OpResult } from '../store/ops.js';

/** Revokes proposed at once; more expired leases wait for the next tick. */
export const LEASE_REVOKES_IN_FLIGHT_MAX = 16;

export interface LeaseExpiryOptions {
  isLeader(): boolean;
  nowMs(): number;
  readLeases(): Promise<Array<{ lease: number; ttlMs: number }>>;
  revoke(lease: number): Promise<OpResult>;
  onError(err: unknown): void;
}

export class LeaseExpiry {
  /** Lease → when it expires on this node's clock; kept only while leading. */
  private readonly deadlines = new Map<number, number>();
  private readonly revoking = new Set<number>();
  private leading = false;

  constructor(private readonly options: LeaseExpiryOptions) {}

  /** Grants and keepalives restart a lease's countdown; a finished revoke ends it. */
  onApplied(entries: readonly AppliedEntry[]): void {
    if (!this.leading) return;
    for (const { result } of entries) {
      if (result.type === 'lease') this.deadlines.set(result.lease, this.options.nowMs() + result.ttlMs);
      else if ((result.type === 'lease_revoked' && !result.more) || result.type === 'lease_not_found') this.deadlines.delete(result.lease);
    }
  }

  /** Whole milliseconds left on this node's countdown of `lease` (the clock has fractions), rounded up;
   *  null when it is not leading or counts no deadline for it (yet: a new leader's read of the stored
   *  leases may still be under way). */
  remainingMs(lease: number): number | null {
    const deadlineMs = this.options.isLeader() ? this.deadlines.get(lease) : undefined;
    return deadlineMs === undefined ? null : Math.max(0, Math.ceil(deadlineMs - this.options.nowMs()));
  }

  onTick(): void {
    if (!this.options.isLeader()) {
      this.leading = false;
      this.deadlines.clear();
      return;
    }
    if (!this.leading) {
      this.leading = true;
      this.options.readLeases().then((leases) => {
        const deadline = this.options.nowMs();
        // A grant or keepalive applied while reading already set its own, later, deadline.
        for (const { lease, ttlMs } of leases) if (this.leading && !this.deadlines.has(lease)) this.deadlines.set(lease, deadline + ttlMs);
      }, this.options.onError);
    }
    const nowMs = this.options.nowMs();
    for (const [lease, deadlineMs] of this.deadlines) {
      if (this.revoking.size >= LEASE_REVOKES_IN_FLIGHT_MAX) break;
      if (nowMs < deadlineMs || this.revoking.has(lease)) continue;
      this.revoking.add(lease);
      // Success is seen in onApplied (a partial revoke leaves the deadline passed, so the next tick goes on);
      // a failure (no quorum, timeout) is retried on a later tick.
      this.options.revoke(lease).then(
        () => this.revoking.delete(lease),
        (err) => {
          this.revoking.delete(lease);
          this.options.onError(err);
        },
      );
    }
  }
}
