// The client-observed history of a run (docs/background.md §4.1): each operation with its invoke time,
// its completion time and output, or no completion at all when the outcome is unknown (the submitter gave
// up, or its node crashed under it). `order` numbers every invoke and completion in the order they
// happened, which is the real-time order the linearizability checker needs, free of ties at equal ms.
// Operations that certainly never took effect (refused before anything was sent) are not recorded.

/** A write's precondition as the API sends it: If-None-Match: * or If-Match: "<modRevision>". */
export type Require = { absent: true } | { modRevision: number };

export type KvInput =
  | { type: 'put'; value: string; require?: Require; lease?: number }
  | { type: 'get' }
  | { type: 'delete' }
  /** A transaction: if the key holds `ifValue` (null: is absent), put `value`, else read the key. */
  | { type: 'txn'; ifValue: string | null; value: string }
  /** Not a client's: the leader's lease expiry revoked a lease this key was attached to. */
  | { type: 'revoke'; lease: number };

/** A key's value and modRevision as a read returned them. */
export interface Observed {
  value: string | null;
  modRevision: number | null;
}

export type KvOutput =
  | { type: 'put'; modRevision: number }
  | { type: 'precondition_failed'; modRevision: number | null }
  | { type: 'lease_not_found' }
  | ({ type: 'get' } & Observed)
  | { type: 'delete'; deleted: 0 | 1; revision: number }
  | { type: 'txn'; succeeded: true; modRevision: number }
  | ({ type: 'txn'; succeeded: false } & Observed)
  | { type: 'revoked' };

export interface HistoryOp {
  readonly id: number;
  /** The logical client (workload process) and the wire identity it used; -1 for the cluster's own ops. */
  readonly client: number;
  /** The replica node and the incarnation of its process the op went through; -1 for the cluster's ops. */
  readonly node: number;
  readonly incarnation: number;
  readonly key: string;
  readonly input: KvInput;
  readonly invokeMs: number;
  readonly invokeOrder: number;
  completeMs: number | null;
  completeOrder: number | null;
  /** null: unknown outcome (may have taken effect at any point after invoke, or never). */
  output: KvOutput | null;
  /** When the client stopped waiting without an outcome (timeout, or its node crashed). */
  abandonedMs: number | null;
}

export class History {
  private readonly list: HistoryOp[] = [];
  private orders = 0;

  get ops(): readonly HistoryOp[] {
    return this.list;
  }

  invoke(fields: Pick<HistoryOp, 'client' | 'node' | 'incarnation' | 'key' | 'input' | 'invokeMs'>): HistoryOp {
    const op: HistoryOp = {
      ...fields,
      id: this.list.length,
      invokeOrder: this.orders++,
      completeMs: null,
      completeOrder: null,
      output: null,
      abandonedMs: null,
    };
    this.list.push(op);
    return op;
  }

  complete(op: HistoryOp, nowMs: number, output: KvOutput): void {
    if (op.completeOrder !== null || op.abandonedMs !== null) throw new Error(`op ${op.id} finished twice`);
    op.completeMs = nowMs;
    op.completeOrder = this.orders++;
    op.output = output;
  }

  abandon(op: HistoryOp, nowMs: number): void {
    if (op.completeOrder !== null || op.abandonedMs !== null) throw new Error(`op ${op.id} finished twice`);
    op.abandonedMs = nowMs;
  }

  /** The next real-time order, for calls checked outside the history (stale reads) and the cluster's ops. */
  mark(): number {
    return this.orders++;
  }

  /**
   * An operation of the cluster's own (a lease revoke) that took effect at one instant, whose order was
   * marked then and whose keys are known only later.
   */
  pointOp(key: string, input: KvInput, output: KvOutput, atMs: number, order: number): void {
    this.list.push({
      id: this.list.length,
      client: -1,
      node: -1,
      incarnation: -1,
      key,
      input,
      invokeMs: atMs,
      invokeOrder: order,
      completeMs: atMs,
      completeOrder: order + 1,
      output,
      abandonedMs: null,
    });
  }

  /** The op certainly never took effect (refused before it was sent): it leaves the history. */
  withdraw(op: HistoryOp): void {
    const at = this.list.indexOf(op);
    if (at < 0 || op.completeOrder !== null) throw new Error(`op ${op.id} cannot be withdrawn`);
    this.list.splice(at, 1);
  }
}

export function describeInput(key: string, input: KvInput): string {
  switch (input.type) {
    case 'put': {
      const require = input.require === undefined ? '' : 'absent' in input.require ? ' if absent' : ` if rev ${input.require.modRevision}`;
      return `put(${key}, ${input.value}${input.lease === undefined ? '' : `, lease ${input.lease}`})${require}`;
    }
    case 'get':
      return `get(${key})`;
    case 'delete':
      return `delete(${key})`;
    case 'txn':
      return `txn(${key}: if ${input.ifValue ?? 'absent'} put ${input.value} else get)`;
    case 'revoke':
      return `revoke(lease ${input.lease}) deletes ${key}`;
  }
}

export function describeOutput(output: KvOutput | null): string {
  if (output === null) return 'unknown';
  switch (output.type) {
    case 'put':
      return `ok rev ${output.modRevision}`;
    case 'precondition_failed':
      return `412 (rev ${output.modRevision ?? 'absent'})`;
    case 'lease_not_found':
      return 'lease not found';
    case 'get':
      return `${output.value} (rev ${output.modRevision ?? '-'})`;
    case 'delete':
      return `deleted=${output.deleted} (rev ${output.revision})`;
    case 'txn':
      return output.succeeded ? `succeeded rev ${output.modRevision}` : `failed, read ${output.value} (rev ${output.modRevision ?? '-'})`;
    case 'revoked':
      return 'revoked';
  }
}

export function describeOp(op: HistoryOp): string {
  const span = `${op.invokeMs.toFixed(1)}–${op.completeMs === null ? '?' : op.completeMs.toFixed(1)} ms`;
  const who = op.client < 0 ? 'cluster' : `client ${op.client}`;
  return `#${op.id} ${who} ${describeInput(op.key, op.input)} → ${describeOutput(op.output)} [${span}]`;
}
