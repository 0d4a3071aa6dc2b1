// The one validator of every request part, built on TypeBox's compiler and strict: a value passes only
// if the schema spells it. Fastify's default Ajv coerces text loosely (`0x10`, `1e3` and ` 7` pass as
// integers) and bends JSON values to fit a union's branch (a JSON 0 becomes "0"). Here text parts (query
// string, path parameters, headers) are read by readText's plain rules, bodies are checked as sent.
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { explainIssues, type ValidationIssue } from './validation-issues.js';

/** Problems reported per request part: enough to fix it, bounded for a request full of mistakes. */
export const VALIDATION_ISSUES_MAX = 8;

/** Decimal digits with an optional minus: the only spelling of an integer in a URL or header. */
const DECIMAL = /^-?[0-9]+$/;

type SchemaNode = Record<string, unknown>;

/** The JSON types a schema admits, its own `type` or its union branches'. */
function typesOf(schema: SchemaNode | undefined): string[] {
  if (schema === undefined) return [];
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as SchemaNode[]).flatMap(typesOf);
  return [];
}

/** A text value as the type its schema asks for, when it spells one; otherwise as is, for Check to refuse. */
function fromText(schema: SchemaNode | undefined, text: string): unknown {
  const types = typesOf(schema);
  if (types.includes('integer') && DECIMAL.test(text)) return Number(text);
  if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** The properties of a text part with each value read per its schema, plus an issue per repeated name. */
function readText(schema: SchemaNode, data: unknown): { value: Record<string, unknown>; repeated: ValidationIssue[] } {
  const properties = (schema.properties ?? {}) as Record<string, SchemaNode>;
  const value: Record<string, unknown> = {};
  const repeated: ValidationIssue[] = [];
  for (const [name, raw] of Object.entries((data ?? {}) as Record<string, unknown>)) {
    // A repeated query parameter arrives as an array; none of ours is a list, and picking one would guess.
    if (Array.isArray(raw) && name in properties) {
      repeated.push({ keyword: 'repeated', instancePath: `/${name}`, params: {}, message: 'is given more than once' });
    }
    value[name] = typeof raw === 'string' ? fromText(properties[name], raw) : raw;
  }
  return { value, repeated };
}

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  const textPart = httpPart !== 'body';
  return (data: unknown) => {
    const { value, repeated } = textPart ? readText(schema as SchemaNode, data) : { value: data, repeated: [] };
    if (repeated.length === 0 && validator.Check(value)) return { value };
    const issues = [...repeated, ...explainIssues(schema as SchemaNode, validator.Errors(value) as ValidationIssue[])];
    return { error: issues.slice(0, VALIDATION_ISSUES_MAX) as never };
  };
};
