// Assemblies of split puts (docs/protocol.md, "Large values"): a put too large for one REQUEST travels as
// piece ops followed by the put itself, each its own op of the log, deduplicated like any op. Pieces are
// replicated state (keys.ts: q assembly records, p piece bytes), so they survive a restart and travel in
// snapshots; the put takes effect, at one revision, when its last piece (the put) applies.
//
// Every replica applies the same rules, so every replica holds the same assemblies:
// - pieces apply in order: piece i only onto an assembly holding pieces 0 .. i-1, the put only onto one
//   holding all of them; anything else is refused as `invalid` (not cached, so it can never stick);
// - an assembly ends when its put applies, when its submitter's floor reaches its first request id (the
//   submitter finished or abandoned the put), or, to bound what dead submitters leave behind, when a new
//   assembly starts while ASSEMBLIES_MAX are held: the one advanced longest ago (lowest slot) goes.
import assert from 'node:assert/strict';
import type { AssemblyName } from './keys.js';

/** Assemblies held at most, cluster-wide: at most this many times a split put's size of pieces is kept. */
export const ASSEMBLIES_MAX = 64;

export interface Assembly extends AssemblyName {
  /** Pieces held: 0 .. held - 1. */
  held: number;
  /** Slot of the last piece applied to it, for eviction (the same on every replica). */
  slot: number;
}

export function assemblyId({ clientId, first }: AssemblyName): string {
  return `${clientId}/${first}`;
}

export function nameOfAssemblyId(id: string): AssemblyName {
  const [clientId, first] = id.split('/').map(Number) as [number, number];
  return { clientId, first };
}

export function pieceId(name: AssemblyName, index: number): string {
  return `${assemblyId(name)}/${index}`;
}

/** The assemblies as applied and written; changes only by commit() once a batch's changes are on disk. */
export class AssemblyTable {
  private readonly byId = new Map<string, Assembly>();

  static from(assemblies: Iterable<Assembly>): AssemblyTable {
    const table = new AssemblyTable();
    for (const assembly of assemblies) table.byId.set(assemblyId(assembly), assembly);
    assert.ok(table.byId.size <= ASSEMBLIES_MAX, `${table.byId.size} assemblies stored, over ${ASSEMBLIES_MAX}`);
    return table;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Assembly | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Assembly> {
    return this.byId.values();
  }

  commit(changes: PieceChanges): void {
    for (const [id, assembly] of changes.assemblies) {
      if (assembly === null) this.byId.delete(id);
      else this.byId.set(id, assembly);
    }
  }
}

/** A piece's bytes written (or, null, deleted) by a batch. */
export interface PieceWrite {
  name: AssemblyName;
  index: number;
  bytes: Uint8Array | null;
}

/** Where the pieces a batch's puts take are read: the batch's own writes first, then the store. */
export type StoredPieces = ReadonlyMap<string, Uint8Array | null>;

/** One apply batch's changes over the table, which stays untouched until the batch is written. */
export class PieceChanges {
  /** Final state of every assembly the batch changed; null: ended. */
  readonly assemblies = new Map<string, Assembly | null>();
  /** By pieceId: the last write of each piece the batch wrote or deleted. */
  readonly pieces = new Map<string, PieceWrite>();

  constructor(
    private readonly table: AssemblyTable,
    private readonly stored: StoredPieces,
  ) {}

  /** Holds piece `index` of the assembly `name`; a reason when it does not follow the pieces held. */
  hold(name: AssemblyName, index: number, bytes: Uint8Array, slot: number): string | null {
    const current = this.lookup(assemblyId(name));
    if (index === 0) {
      if (current !== undefined) return `piece 0 of assembly ${assemblyId(name)} was held before`;
      if (this.size() >= ASSEMBLIES_MAX) this.end(this.oldest());
    } else if (current?.held !== index) {
      return `piece ${index} does not follow the ${current?.held ?? 0} pieces held: the put was abandoned, or its pieces evicted`;
    }
    this.assemblies.set(assemblyId(name), { ...name, held: index + 1, slot });
    this.pieces.set(pieceId(name, index), { name, index, bytes });
    return null;
  }

  /** The bytes of all `pieces` pieces held for `name`, which ends the assembly; a reason when they are not all held. */
  take(name: AssemblyName, pieces: number): Uint8Array[] | string {
    const current = this.lookup(assemblyId(name));
    if (current?.held !== pieces)
      return `a put of ${pieces} pieces finds ${current?.held ?? 0} held: the put was abandoned, or its pieces evicted`;
    const bytes: Uint8Array[] = [];
    for (let index = 0; index < pieces; index++) {
      const id = pieceId(name, index);
      const piece = this.pieces.get(id)?.bytes ?? this.stored.get(id);
      assert.ok(piece !== undefined && piece !== null, `piece ${id} is held but was not prefetched`);
      bytes.push(piece);
    }
    this.end(current);
    return bytes;
  }

  /** Ends the client's assemblies whose first request id is at or below its floor: finished or abandoned. */
  dropBelowFloor(clientId: number, floor: number): void {
    // Called for every entry applied; almost always there is no split put in flight at all.
    if (this.table.size === 0 && this.assemblies.size === 0) return;
    for (const assembly of this.current()) if (assembly.clientId === clientId && assembly.first <= floor) this.end(assembly);
  }

  private end(assembly: Assembly): void {
    this.assemblies.set(assemblyId(assembly), null);
    const name = { clientId: assembly.clientId, first: assembly.first };
    for (let index = 0; index < assembly.held; index++) this.pieces.set(pieceId(name, index), { name, index, bytes: null });
  }

  private lookup(id: string): Assembly | undefined {
    const changed = this.assemblies.get(id);
    if (changed !== undefined) return changed ?? undefined;
    return this.table.get(id);
  }

  private *current(): Generator<Assembly> {
    for (const assembly of this.table.values()) if (!this.assemblies.has(assemblyId(assembly))) yield assembly;
    for (const assembly of this.assemblies.values()) if (assembly !== null) yield assembly;
  }

  private size(): number {
    let size = 0;
    for (const _ of this.current()) size++;
    return size;
  }

  /** The assembly advanced longest ago; ties (one slot holds many ops) by id, so every replica picks the same. */
  private oldest(): Assembly {
    let oldest: Assembly | undefined;
    for (const assembly of this.current()) {
      if (
        oldest === undefined ||
        assembly.slot < oldest.slot ||
        (assembly.slot === oldest.slot && assemblyId(assembly) < assemblyId(oldest))
      )
        oldest = assembly;
    }
    assert.ok(oldest !== undefined, 'no assembly to evict');
    return oldest;
  }
}
