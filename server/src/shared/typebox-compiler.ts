/**
 * Validate fastify route schemas with TypeBox's compiler (the same one the socket uses),
 * with query-string coercion and defaults applied first.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { OptionalKind, type TSchema } from '@sinclair/typebox';
import '#shared/schema/formats.js';
import { findUnstorable } from '#shared/schema/storable.js';

export const TypeBoxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const coerce = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
  // An optional body (`Type.Optional(Type.Object(...))`) may be absent altogether: `curl -X POST` with
  // no body and no content-type reaches us as undefined/null and must not fail "Expected object".
  const mayBeAbsent = httpPart === 'body' && (schema as unknown as Record<symbol, unknown>)[OptionalKind] === 'Optional';
  return (value: unknown) => {
    if (mayBeAbsent && (value === undefined || value === null)) return { value: undefined };
    let v = value;
    if (coerce) v = Value.Convert(schema, v);
    v = Value.Default(schema, v);
    const part = httpPart ?? 'input';
    if (check.Check(v)) {
      // After coercion: a query integer of 1e20 passes `Type.Integer()` but not a bigint column.
      const bad = findUnstorable(v);
      if (!bad) return { value: v };
      const field = `${part}${bad.path === '/' ? '' : bad.path}`;
      const e = new Error(`${field}: ${bad.problem}`) as Error & { validation: unknown; statusCode: number; field: string };
      e.validation = [bad];
      e.statusCode = 400;
      e.field = field;
      return { error: e };
    }
    const first = check.Errors(v).First();
    const field = `${part}${first?.path || ''}`;
    const e = new Error(`${field}: ${first?.message ?? 'invalid'}`) as Error & { validation: unknown; statusCode: number; field: string };
    e.field = field;
    e.validation = [first];
    e.statusCode = 400;
    return { error: e };
  };
};
