/**
 * Keel's error codes. One table maps each stable code to its HTTP status and title; one handler
 * (http/error-handler.ts) turns any error into application/problem+json (RFC 9457).
 */
export const errorCodes = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_json: { status: 400, title: 'The request body is not valid JSON' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  invalid_credentials: { status: 401, title: 'Email or password is wrong' },
  session_expired: { status: 401, title: 'The session has expired or was revoked' },
  invalid_api_key: { status: 401, title: 'The API key is not valid or was revoked' },
  csrf_failed: { status: 403, title: 'Missing or wrong CSRF token' },
  forbidden: { status: 403, title: 'Your role does not allow this' },
  account_disabled: { status: 403, title: 'This account is disabled' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  already_exists: { status: 409, title: 'It already exists' },
  setup_done: { status: 409, title: 'Set-up has already been completed' },
  precondition_failed: { status: 412, title: 'The record changed since you read it' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  not_ready: { status: 503, title: 'Not ready' },
  data_dir_locked: { status: 503, title: 'The data folder is in use by another process' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface ProblemDetail {
  path?: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: ProblemDetail[],
  ) {
    super(message ?? errorCodes[code].title);
    this.name = 'AppError';
    this.status = errorCodes[code].status;
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);
