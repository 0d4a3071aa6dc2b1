// The sequential specification of one key, for the linearizability checker: the key holds a value and
// the modRevision of the write that put it, or nothing. Revisions are the store's (etcd's) global ones,
// so along any linearization they only grow. A write whose outcome is unknown leaves the revision
// unknown; a later read or failed precondition tells it. Where an unknown outcome leaves two futures (a
// CAS on an unknown revision), the model returns both, and the checker tries each.
import type { KvInput, KvOutput, Require } from './history.js';

/** `modRevision` is undefined while unknown (after a write with unknown outcome). */
export interface KeyState {
  value: string | null;
  modRevision: number | null | undefined;
}

export const ABSENT: KeyState = { value: null, modRevision: null };

/** Whether the key's revision could be `modRevision`; an unknown one could be anything. */
function couldBe(state: KeyState, modRevision: number | null): boolean {
  return state.modRevision === undefined ? (modRevision === null) === (state.value === null) : state.modRevision === modRevision;
}

/** The state once a read has seen the key: the observed revision resolves an unknown one. */
function seen(state: KeyState, modRevision: number | null): KeyState[] {
  return couldBe(state, modRevision) ? [{ value: state.value, modRevision }] : [];
}

/** A new write's revision is above the one it replaces. */
function newer(state: KeyState, modRevision: number): boolean {
  return state.modRevision === undefined || state.modRevision === null || modRevision > state.modRevision;
}

/** Whether `require` holds: true, false, or null when it depends on a revision the model does not know. */
function holds(state: KeyState, require: Require | undefined): boolean | null {
  if (require === undefined) return true;
  if ('absent' in require) return state.value === null;
  if (state.value === null) return false;
  return state.modRevision === undefined ? null : state.modRevision === require.modRevision;
}

/** The states the key may be in after the operation; empty if its output is impossible in `state`. */
export function stepKey(state: KeyState, input: KvInput, output: KvOutput | null): KeyState[] {
  switch (input.type) {
    case 'put': {
      if (output?.type === 'lease_not_found') return [state];
      const precondition = holds(state, input.require);
      if (output === null) {
        const written = { value: input.value, modRevision: undefined };
        return precondition === null ? [state, written] : precondition ? [written] : [state];
      }
      if (output.type === 'put')
        return precondition !== false && newer(state, output.modRevision) ? [{ value: input.value, modRevision: output.modRevision }] : [];
      if (output.type !== 'precondition_failed' || precondition === true) return [];
      return seen(state, output.modRevision).filter((known) => holds(known, input.require) === false);
    }
    case 'get':
      if (output === null) return [state];
      return output.type === 'get' && output.value === state.value ? seen(state, output.modRevision) : [];
    case 'delete':
      if (output === null) return [ABSENT];
      if (output.type !== 'delete' || output.deleted !== (state.value === null ? 0 : 1)) return [];
      return output.deleted === 0 || newer(state, output.revision) ? [ABSENT] : [];
    case 'txn': {
      const matches = state.value === input.ifValue;
      if (output === null) return matches ? [{ value: input.value, modRevision: undefined }] : [state];
      if (output.type !== 'txn' || output.succeeded !== matches) return [];
      if (output.succeeded) return newer(state, output.modRevision) ? [{ value: input.value, modRevision: output.modRevision }] : [];
      return output.value === state.value ? seen(state, output.modRevision) : [];
    }
    case 'revoke':
      return [ABSENT];
  }
}

/** A state as a string, for the checker's memo of configurations already explored. */
export function keyStateId(state: KeyState): string {
  return `${state.value === null ? '-' : JSON.stringify(shortValue(state.value))}@${state.modRevision === undefined ? '?' : String(state.modRevision)}`;
}

/** A large value (the workload pads some past one datagram) in a trace: its name and length, not its padding. */
export function shortValue(value: string): string {
  const padded = value.indexOf(':');
  return padded === -1 ? value : `${value.slice(0, padded)}:<${value.length} bytes>`;
}
