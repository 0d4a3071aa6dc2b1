// A validator for JSON bodies that checks without coercing. Fastify's default Ajv coerces types, which
// suits query strings (everything there is text) but would turn a JSON 0 into "0" to fit a union's
// string branch. TypeBox's compiler (the TypeBox the route schemas are built with) checks the same
// schema exactly as written.
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** Problems reported per bad body: enough to fix it, bounded for a body full of mistakes. */
const BODY_PROBLEMS_MAX = 8;

/**
 * A route's validatorCompiler for `schema`. It compiles the TypeBox schema it is given, not the copy
 * Fastify hands over, which has lost TypeBox's symbol-keyed type tags.
 */
export function strictBodyValidator(schema: TSchema): FastifySchemaCompiler<unknown> {
  const validator = Compile(schema);
  return () => (data: unknown) => {
    if (validator.Check(data)) return { value: data };
    // TypeBox reports errors in Ajv's shape, which errors.ts turns into one line per field.
    return { error: validator.Errors(data).slice(0, BODY_PROBLEMS_MAX) as never };
  };
}
