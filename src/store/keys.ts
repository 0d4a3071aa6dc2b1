// Key layouts inside the sublevels. Numbers are fixed-width lowercase hex so that LevelDB's bytewise
// order equals numeric order: `clients` groups a client's keys, floor first.
import assert from 'node:assert/strict';

/** clientId is u32 on the wire (src/mrtom/header.ts). */
const U32_HEX_DIGITS = 8;
/** A requestId is a safe integer (below 2^53), which needs 14 hex digits. */
const U53_HEX_DIGITS = 14;

/** In the `meta` sublevel: the applied StoreMeta. */
export const META_KEY = 'state';
/** In the `meta` sublevel: the consensus layer's ViewState, written apart from the applied meta. */
export const VIEW_STATE_KEY = 'view';

function hex(value: number, digits: number): string {
  assert.ok(Number.isSafeInteger(value) && value >= 0, `key part must be a non-negative safe integer, got ${value}`);
  const text = value.toString(16);
  assert.ok(text.length <= digits, `key part ${value} does not fit in ${digits} hex digits`);
  return text.padStart(digits, '0');
}

function unhex(text: string, digits: number): number {
  assert.equal(text.length, digits, `malformed key part '${text}'`);
  const value = Number.parseInt(text, 16);
  assert.ok(Number.isSafeInteger(value), `malformed key part '${text}'`);
  return value;
}

/** Holds the client's floor. Sorts before the client's result keys, which extend it. */
export function clientFloorKey(clientId: number): string {
  return hex(clientId, U32_HEX_DIGITS);
}

/** Holds the cached result of one write request of the client. */
export function clientResultKey(clientId: number, requestId: number): string {
  return `${clientFloorKey(clientId)}/${hex(requestId, U53_HEX_DIGITS)}`;
}

export type ClientKey = { kind: 'floor'; clientId: number } | { kind: 'result'; clientId: number; requestId: number };

export function parseClientKey(key: string): ClientKey {
  const [client, request, ...rest] = key.split('/');
  assert.ok(client !== undefined && rest.length === 0, `malformed client key '${key}'`);
  const clientId = unhex(client, U32_HEX_DIGITS);
  return request === undefined ? { kind: 'floor', clientId } : { kind: 'result', clientId, requestId: unhex(request, U53_HEX_DIGITS) };
}
