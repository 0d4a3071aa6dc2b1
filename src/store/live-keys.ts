// Which keys are live, in memory (etcd keeps its whole key index in memory the same way): an apply reads
// the stored record only of a key that exists, so a batch of puts to new keys reads nothing before it
// writes. One string per live key; loaded at open and after a snapshot install, and changed only after
// the apply batch that changed the keys is written, so it always mirrors the database's live records.
import { keyOfLiveKey, LIVE_END, liveKey } from './keys.js';
import type { Database } from './database.js';
import type { KeyRecord } from './ops.js';

export class LiveKeys {
  private constructor(private readonly keys: Set<string>) {}

  static async load(db: Database): Promise<LiveKeys> {
    const keys = new Set<string>();
    for await (const key of db.keys({ gte: liveKey(''), lt: LIVE_END })) keys.add(keyOfLiveKey(key));
    return new LiveKeys(keys);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Follows an apply's final records (null: deleted), once they are written. */
  follow(writes: ReadonlyMap<string, KeyRecord | null>): void {
    for (const [key, record] of writes) {
      if (record === null) this.keys.delete(key);
      else this.keys.add(key);
    }
  }
}
