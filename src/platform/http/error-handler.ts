import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, errorCodes, type ErrorCode, type ProblemDetail } from '../errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  requestId: string;
  errors?: ProblemDetail[];
}

export function problem(code: ErrorCode, detail: string, req: FastifyRequest, errors?: ProblemDetail[]): Problem {
  const def = errorCodes[code];
  return {
    type: `urn:keel:problem:${code}`,
    title: def.title,
    status: def.status,
    detail,
    code,
    instance: req.url.split('?')[0] ?? req.url,
    requestId: String(req.id),
    ...(errors && errors.length > 0 && { errors }),
  };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.status(p.status).type('application/problem+json').send(p);
}

/** Maps any thrown error to an RFC 9457 problem: known codes pass through, the rest is a 500. */
export function toProblem(err: unknown, req: FastifyRequest): Problem {
  if (err instanceof AppError) return problem(err.code, err.message, req, err.details);
  const fe = err as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(fe)) {
    const where = fe.validationContext ?? 'body';
    const errors = fe.validation.map((v) => ({
      path: [
        where,
        ...String(v.instancePath ?? '')
          .split('/')
          .filter(Boolean),
      ].join('.'),
      message: v.message ?? 'is not valid',
    }));
    return problem(
      'validation_failed',
      `The ${where} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      req,
      errors,
    );
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('invalid_json', fe.message, req);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload_too_large', fe.message, req);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('unsupported_media_type', fe.message, req);
    case 'FST_ERR_VALIDATION':
      return problem('validation_failed', fe.message, req);
    default:
      break;
  }
  if (fe instanceof SyntaxError && fe.statusCode === 400) return problem('invalid_json', fe.message, req);
  if (fe.statusCode === 429) return problem('rate_limited', 'Too many requests: slow down and retry later', req);
  if (fe.statusCode === 413) return problem('payload_too_large', fe.message, req);
  if (fe.statusCode === 415) return problem('unsupported_media_type', fe.message, req);
  if (fe.statusCode === 400) return problem('validation_failed', fe.message, req);
  const pgCode = (err as { code?: string }).code;
  if (pgCode === '23505') return problem('already_exists', 'A record with the same unique value already exists', req);
  if (pgCode === '22P02' || pgCode === '22021' || pgCode === '22001')
    return problem('validation_failed', 'A value is not valid for its field', req);
  return problem('internal', 'Something went wrong on our side; the request id is in the logs', req);
}
