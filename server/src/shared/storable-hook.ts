/**
 * Every HTTP input, on every route (with or without a schema), is checked for values the
 * store cannot hold before any handler runs: a NUL, a lone surrogate or an integer beyond
 * bigint is a 400 naming the field, never a database error answered as 500.
 */
import type { FastifyInstance } from 'fastify';
import { findUnstorable } from '#shared/schema/storable.js';
import { ApiError } from './errors.js';

export function refuseUnstorableInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [['params', req.params], ['querystring', req.query], ['body', req.body]] as const) {
      const bad = findUnstorable(value);
      if (bad) {
        const field = `${part}${bad.path === '/' ? '' : bad.path}`;
        throw new ApiError(400, 'POSTURE_ERR_VALIDATION', `${field}: ${bad.problem}.`, { field });
      }
    }
  });
}
