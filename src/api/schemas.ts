// TypeBox schemas of the API's JSON bodies: they validate input and serialize output, and are the
// contract a generated OpenAPI document will show.
import { Type } from '@fastify/type-provider-typebox';

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const PutBody = Type.Object({ revision: Type.Integer() });

export const DeleteBody = Type.Object({
  revision: Type.Integer(),
  deleted: Type.Union([Type.Literal(0), Type.Literal(1)]),
});

/** A value is returned as the exact bytes stored, under the content type it was stored with. */
export const ValueBytes = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

/** Kubernetes-style probe text (`?verbose`). */
export const ProbeText = Type.String();

export const LiveBody = Type.Object({ status: Type.Literal('ok') });

export const ReadyBody = Type.Object({ status: Type.Literal('ready') });

export const NotReadyBody = Type.Object({
  status: Type.Literal('not_ready'),
  checks: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() })),
});

/** `?verbose` (or `=true`) asks for Kubernetes-style text; `=false` is accepted so the flag can be switched off. */
export const ReadyzQuery = Type.Object({
  verbose: Type.Optional(Type.Enum(['', 'true', 'false'])),
});
