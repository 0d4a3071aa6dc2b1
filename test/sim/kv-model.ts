// The sequential specification of one key, for the linearizability checker: the key holds a value or
// nothing; put sets it, delete clears it and reports whether it existed, get returns it. An operation
// with an unknown output is legal in every state and still changes the state if it is a write.
import type { KvInput, KvOutput } from './history.js';

export type KeyState = string | null;

/** The state after the operation, or undefined if the output is impossible in `state`. */
export function stepKey(state: KeyState, input: KvInput, output: KvOutput | null): KeyState | undefined {
  switch (input.type) {
    case 'put':
      return input.value;
    case 'delete':
      if (output !== null && (output.type !== 'delete' || output.deleted !== (state === null ? 0 : 1))) return undefined;
      return null;
    case 'get':
      if (output !== null && (output.type !== 'get' || output.value !== state)) return undefined;
      return state;
  }
}
