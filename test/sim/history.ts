// The client-observed history of a run (docs/background.md §4.1): each operation with its invoke time,
// its completion time and output, or no completion at all when the outcome is unknown (the client gave
// up, or its node crashed under it). `order` numbers every invoke and completion in the order they
// happened, which is the real-time order the linearizability checker needs, free of ties at equal ms.

export type KvInput = { type: 'put'; value: string } | { type: 'get' } | { type: 'delete' };
export type KvOutput = { type: 'put' } | { type: 'get'; value: string | null } | { type: 'delete'; deleted: 0 | 1 };

export interface HistoryOp {
  readonly id: number;
  /** The logical client (workload process) and the wire identity it used. */
  readonly client: number;
  readonly clientId: number;
  readonly requestId: number;
  readonly key: string;
  readonly input: KvInput;
  readonly invokeMs: number;
  readonly invokeOrder: number;
  completeMs: number | null;
  completeOrder: number | null;
  /** null: unknown outcome (may have taken effect at any point after invoke, or never). */
  output: KvOutput | null;
  /** When the client stopped waiting without an outcome (deadline, or its node crashed). */
  abandonedMs: number | null;
}

export class History {
  private readonly list: HistoryOp[] = [];
  private orders = 0;

  get ops(): readonly HistoryOp[] {
    return this.list;
  }

  invoke(fields: Pick<HistoryOp, 'client' | 'clientId' | 'requestId' | 'key' | 'input' | 'invokeMs'>): HistoryOp {
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
}

export function describeOp(op: HistoryOp): string {
  const call =
    op.input.type === 'put' ? `put(${op.key}, ${op.input.value})` : op.input.type === 'get' ? `get(${op.key})` : `delete(${op.key})`;
  const result =
    op.output === null
      ? 'unknown'
      : op.output.type === 'get'
        ? String(op.output.value)
        : op.output.type === 'delete'
          ? `deleted=${op.output.deleted}`
          : 'ok';
  const span = `${op.invokeMs.toFixed(1)}–${op.completeMs === null ? '?' : op.completeMs.toFixed(1)} ms`;
  return `#${op.id} client ${op.client} (${op.clientId}#${op.requestId}) ${call} → ${result} [${span}]`;
}
