// A validator for JSON bodies (and parameterless query strings) that checks without coercing. Fastify's default Ajv coerces types, which
// suits query strings (everything there is text) but would turn a JSON 0 into "0" to fit a union's
// string branch. TypeBox's compiler (the TypeBox the route schemas are built with) checks the same
// schema exactly as written.
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** Problems reported per bad body: enough to fix it, bounded for a body full of mistakes. */
const BODY_PROBLEMS_MAX = 8;

/**
 * A route's validatorCompiler for its TypeBox `schemas` by request part. It compiles the schemas it is
 * given, not the copies Fastify hands over, which have lost TypeBox's symbol-keyed type tags. Only parts
 * that need no coercion belong here: JSON bodies, and query strings without parameters.
 */
export function strictValidator(schemas: { body: TSchema; querystring: TSchema }): FastifySchemaCompiler<unknown> {
  const validators = { body: Compile(schemas.body), querystring: Compile(schemas.querystring) };
  return ({ httpPart }) => {
    const validator = httpPart === 'body' || httpPart === 'querystring' ? validators[httpPart] : null;
    if (validator === null) throw new Error(`no strict validator for request part ${String(httpPart)}`);
    return (data: unknown) => {
      if (validator.Check(data)) return { value: data };
      // TypeBox reports errors in Ajv's shape, which errors.ts turns into one line per field.
      return { error: validator.Errors(data).slice(0, BODY_PROBLEMS_MAX) as never };
    };
  };
}
