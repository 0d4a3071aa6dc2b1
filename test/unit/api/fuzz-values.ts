// fast-check arbitraries of values for the fuzz, driven by the JSON schemas in /openapi.json: mostly what a
// schema allows, at and just past its bounds, and often what it does not (wrong types, hostile strings),
// so that both the routes behind validation and the validation itself are exercised.
import fc from 'fast-check';

export type Schema = Record<string, unknown>;

/** Objects nest at most this deep, and arrays hold at most this many items past a schema's own limit. */
const DEPTH_MAX = 4;
const ARRAY_ITEMS_MAX = 6;

/** Strings that broke, or could break, a parser, a decoder or a header somewhere. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '.',
  '..',
  'a/../b',
  './a',
  '/',
  '//',
  '%',
  '%zz',
  '%e9',
  '%ED%A0%80',
  '%00',
  '+',
  '\u0000',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\ud800',
  'é',
  '中',
  '😀',
  '\u202e',
  'x'.repeat(4097),
  '0x10',
  '1e3',
  '1e20',
  '-1',
  '+5',
  '5.0',
  '9007199254740991',
  '9007199254740992',
  '99999999999999999999',
  'true',
  'null',
  '{}',
  '[]',
  '"',
  "'",
  '\\',
  '*',
  '"1"',
  'W/"1"',
  '"1", "2"',
  'text/plain; x=中',
  'text/plain\r\nx: y',
  'garbage',
  'application/json',
  'text/event-stream',
  'QQ',
  'QR==',
  'QQ==',
];

const hostileString = fc.constantFrom(...HOSTILE_STRINGS);

/** Any string: short ASCII, any Unicode (lone surrogates too), or a hostile one. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 3, arbitrary: hostileString },
);

function integerValues(schema: Schema): fc.Arbitrary<unknown> {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : 0;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : Number.MAX_SAFE_INTEGER;
  const edges = [minimum, maximum, minimum - 1, maximum + 1, 2 ** 53, 1e20, -1, 0, 1.5];
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: minimum, max: Math.min(maximum, minimum + 1_000) }) },
    { weight: 2, arbitrary: fc.constantFrom(...edges) },
  );
}

function stringValues(schema: Schema): fc.Arbitrary<unknown> {
  if (typeof schema.pattern === 'string') {
    // The one pattern of our schemas is base64: valid bytes, or anything.
    return fc.oneof(
      fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      anyString,
    );
  }
  return anyString;
}

function objectValues(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = (schema.required ?? []) as string[];
  const fields = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, valueOf(property, depth + 1)]));
  const record = fc.record(fields, { requiredKeys: required.filter((name) => name in fields) });
  // Now and then a field the schema does not know.
  return fc.oneof(
    { weight: 5, arbitrary: record },
    { weight: 1, arbitrary: fc.tuple(record, anyString).map(([value, extra]) => ({ ...(value as object), [`x${extra}`]: 1 })) },
  );
}

/** Values for `schema`: mostly of its form, sometimes of another type altogether. */
export function valueOf(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (depth > DEPTH_MAX) return fc.constant(null);
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  let own: fc.Arbitrary<unknown>;
  if (Array.isArray(schema.enum)) own = fc.oneof(fc.constantFrom(...(schema.enum as unknown[])), anyString);
  else if (branches !== undefined) own = fc.oneof(...branches.map((branch) => valueOf(branch, depth + 1)));
  else if (schema.type === 'integer') own = integerValues(schema);
  else if (schema.type === 'boolean') own = fc.oneof(fc.boolean(), fc.constantFrom('true', 'false', '1', ''));
  else if (schema.type === 'string') own = stringValues(schema);
  else if (schema.type === 'array') {
    const maxLength = Math.min(typeof schema.maxItems === 'number' ? schema.maxItems + 1 : ARRAY_ITEMS_MAX, ARRAY_ITEMS_MAX);
    own = fc.array(valueOf((schema.items ?? {}) as Schema, depth + 1), { maxLength });
  } else if (schema.type === 'object') own = objectValues(schema, depth);
  else own = anyString;
  const wrongType = fc.oneof(fc.constant(null), fc.integer(), anyString, fc.constant([]), fc.constant({}));
  return fc.oneof({ weight: 8, arbitrary: own }, { weight: 1, arbitrary: wrongType });
}

/** A value as it would be written in a URL or a header. */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}
