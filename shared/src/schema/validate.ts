/**
 * One way to validate data crossing a boundary: a TypeBox schema compiled once,
 * returning either the typed value or a list of human-readable problems.
 * TypeBox gives us JSON Schema (which fastify understands natively) and static
 * types from the same declaration, so there is no second source of truth.
 */
import './formats.js';
import { findUnstorable } from './storable.js';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Static, TSchema } from '@sinclair/typebox';

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export interface Validator<S extends TSchema> {
  readonly schema: S;
  check(value: unknown): value is Static<S>;
  validate(value: unknown): Validated<Static<S>>;
}

export function compile<S extends TSchema>(schema: S): Validator<S> {
  const compiled: TypeCheck<S> = TypeCompiler.Compile(schema);
  return {
    schema,
    // The schema *and* the store: a value that passes must be storable (storable.ts).
    check: (value: unknown): value is Static<S> => compiled.Check(value) && !findUnstorable(value),
    validate(value: unknown): Validated<Static<S>> {
      if (compiled.Check(value)) {
        const bad = findUnstorable(value);
        return bad ? { ok: false, errors: [`${bad.path}: ${bad.problem}`] } : { ok: true, value };
      }
      const errors: string[] = [];
      for (const e of compiled.Errors(value)) {
        errors.push(`${e.path || '/'}: ${e.message}`);
        if (errors.length >= 5) break; // enough to fix the input; never echo a flood back
      }
      return { ok: false, errors };
    },
  };
}
