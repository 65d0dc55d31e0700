/**
 * Typed errors with stable codes. Messages are written for the person who reads them;
 * raw database errors never reach a client.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const Errors = {
  unauthorized: (msg = 'Authentication required: send "Authorization: Bearer <token>" or sign in.') =>
    new ApiError(401, 'POSTURE_ERR_AUTH_REQUIRED', msg),
  forbidden: (msg = 'Your role does not allow this action.') => new ApiError(403, 'POSTURE_ERR_FORBIDDEN', msg),
  notFound: (what: string) => new ApiError(404, 'POSTURE_ERR_NOT_FOUND', `${what} not found.`),
  badRequest: (msg: string, code = 'POSTURE_ERR_BAD_REQUEST') => new ApiError(400, code, msg),
  conflict: (msg: string, code = 'POSTURE_ERR_CONFLICT') => new ApiError(409, code, msg),
  dbUnavailable: () =>
    new ApiError(503, 'POSTURE_ERR_DB_UNAVAILABLE', 'The database is unavailable; retry shortly.', { retryAfterSec: 5 }),
};

/** Every code the API can return, documented in docs/api.md. */
export const ERROR_CODES = [
  'POSTURE_ERR_AUTH_REQUIRED',
  'POSTURE_ERR_FORBIDDEN',
  'POSTURE_ERR_NOT_FOUND',
  'POSTURE_ERR_BAD_REQUEST',
  'POSTURE_ERR_VALIDATION',
  'POSTURE_ERR_CONFLICT',
  'POSTURE_ERR_DB_UNAVAILABLE',
  'POSTURE_ERR_CSRF',
  'POSTURE_ERR_BODY_TOO_LARGE',
  'POSTURE_ERR_INTERNAL',
  'POSTURE_ERR_ENROLL_SECRET_INVALID',
  'POSTURE_ERR_ENROLL_SECRET_REVOKED',
  'POSTURE_ERR_ENROLL_SECRET_EXPIRED',
  'POSTURE_ERR_KEY_REVOKED',
  'POSTURE_ERR_DEVICE_REVOKED',
  'POSTURE_ERR_POLICY_INVALID',
  'POSTURE_ERR_POLICY_FILE_MANAGED',
  'POSTURE_ERR_RATE_LIMITED',
  'POSTURE_ERR_OIDC',
  'POSTURE_ERR_OWNER_OUTRANKED',
  'POSTURE_ERR_UPDATES_ALREADY_PAUSED',
  'POSTURE_ERR_UPDATES_NOT_PAUSED',
] as const;
