// Linearizability checking (docs/background.md §4.2): Wing & Gong's search with Lowe's memoisation
// ("WGL", as in Porcupine's checkSingle and Knossos's wgl.clj), over each key separately because
// linearizability is local per object (P-compositionality).
//
// Per key, calls and returns form one list in real-time order. Walking it, a call is tried as the next
// linearized operation (legal in the model, and the (linearized set, state) configuration not seen
// before); reaching a return means an operation that had to take effect could not be placed, so the
// search backtracks. Ops with unknown outcome return at +∞: they may take effect at any point after
// their invoke, or never (placing them last is the same as never for every observed op). Where the model
// leaves an operation more than one next state (kv-model.ts), each is tried in turn.
import type { HistoryOp } from './history.js';
import { ABSENT, type KeyState, keyStateId, stepKey } from './kv-model.js';

/**
 * Search steps per key before the checker gives up. Histories of a few hundred ops per key with bounded
 * concurrency finish in far fewer; a run that hits this is reported as inconclusive, never as passing.
 */
export const CHECK_STEPS_PER_KEY_MAX = 2_000_000;

export type CheckResult =
  | { ok: true }
  | { ok: false; kind: 'violation'; key: string; longestPrefix: HistoryOp[]; unplaced: HistoryOp[] }
  | { ok: false; kind: 'inconclusive'; key: string; steps: number };

interface Entry {
  readonly op: HistoryOp;
  readonly index: number;
  readonly isCall: boolean;
  /** The call's return entry (for calls only). */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

export function checkLinearizable(ops: readonly HistoryOp[], stepsMax = CHECK_STEPS_PER_KEY_MAX): CheckResult {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of ops) {
    // A read with unknown outcome constrains nothing and changes nothing.
    if (op.output === null && op.input.type === 'get') continue;
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push(op);
  }
  for (const key of [...byKey.keys()].sort()) {
    const result = checkKey(key, byKey.get(key)!, stepsMax);
    if (!result.ok) return result;
  }
  return { ok: true };
}

function checkKey(key: string, ops: readonly HistoryOp[], stepsMax: number): CheckResult {
  const head = buildEntryList(ops);
  const linearized = new Bitset(ops.length);
  const seen = new Set<string>();
  const stack: Array<{ entry: Entry; state: KeyState; candidate: number }> = [];
  let longest: Entry[] = [];
  let state: KeyState = ABSENT;
  let entry = head.next;
  let steps = 0;

  /** Linearizes `call` now with its first next state from `from` on whose configuration is new. */
  const place = (call: Entry, from: number): boolean => {
    const candidates = stepKey(state, call.op.input, call.op.output);
    for (let i = from; i < candidates.length; i++) {
      linearized.set(call.index);
      const configuration = `${linearized.key()}|${keyStateId(candidates[i]!)}`;
      if (!seen.has(configuration)) {
        seen.add(configuration);
        stack.push({ entry: call, state, candidate: i });
        state = candidates[i]!;
        lift(call);
        if (stack.length > longest.length) longest = stack.map((frame) => frame.entry);
        return true;
      }
      linearized.clear(call.index);
    }
    return false;
  };

  while (head.next !== null) {
    if (++steps > stepsMax) return { ok: false, kind: 'inconclusive', key, steps };
    if (entry === null) throw new Error('walked past the end of the entry list');
    if (entry.isCall) {
      entry = place(entry, 0) ? head.next : entry.next;
      continue;
    }
    const frame = stack.pop();
    if (frame === undefined) {
      const placed = new Set(longest.map((e) => e.index));
      const unplaced = ops.filter((_, i) => !placed.has(i)).sort((a, b) => a.invokeOrder - b.invokeOrder);
      return { ok: false, kind: 'violation', key, longestPrefix: longest.map((e) => e.op), unplaced };
    }
    linearized.clear(frame.entry.index);
    state = frame.state;
    unlift(frame.entry);
    entry = place(frame.entry, frame.candidate + 1) ? head.next : frame.entry.next;
  }
  return { ok: true };
}

/** A sentinel head followed by every call and return in real-time order (unknown outcomes return last). */
function buildEntryList(ops: readonly HistoryOp[]): Entry {
  const timed: Array<{ entry: Entry; time: number }> = [];
  ops.forEach((op, index) => {
    const call: Entry = { op, index, isCall: true, match: null, prev: null, next: null };
    const ret: Entry = { op, index, isCall: false, match: null, prev: null, next: null };
    call.match = ret;
    timed.push({ entry: call, time: op.invokeOrder });
    timed.push({ entry: ret, time: op.completeOrder ?? Number.POSITIVE_INFINITY });
  });
  // Orders are unique; only +∞ returns tie, and their relative order does not matter.
  timed.sort((a, b) => a.time - b.time || a.entry.index - b.entry.index);
  const head: Entry = { op: ops[0]!, index: -1, isCall: false, match: null, prev: null, next: null };
  let tail = head;
  for (const { entry } of timed) {
    tail.next = entry;
    entry.prev = tail;
    tail = entry;
  }
  return head;
}

/** Takes a call and its return out of the list (the op is linearized). */
function lift(call: Entry): void {
  unlink(call);
  unlink(call.match!);
}

/** Puts them back, in the reverse order, so the links restore exactly. */
function unlift(call: Entry): void {
  relink(call.match!);
  relink(call);
}

function unlink(entry: Entry): void {
  entry.prev!.next = entry.next;
  if (entry.next !== null) entry.next.prev = entry.prev;
}

function relink(entry: Entry): void {
  entry.prev!.next = entry;
  if (entry.next !== null) entry.next.prev = entry;
}

class Bitset {
  private readonly words: Uint32Array;

  constructor(bits: number) {
    this.words = new Uint32Array(Math.ceil(bits / 32) || 1);
  }

  set(bit: number): void {
    this.words[bit >>> 5]! |= 1 << (bit & 31);
  }

  clear(bit: number): void {
    this.words[bit >>> 5]! &= ~(1 << (bit & 31));
  }

  key(): string {
    return this.words.join(',');
  }
}
