import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateApiKey } from '../../modules/api-keys/api-keys.service.js';
import { resolveSession, userActor } from '../../modules/auth/auth.service.js';
import { AppError } from '../errors.js';
import { can, type Role } from '../permissions.js';
import { safeEqual } from '../tokens.js';
import type { AuthContext } from './app.js';

export const SESSION_COOKIE = 'keel_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling, and may they call this route? Bearer API keys (scripts) or the session cookie
 * (browser). Cookie-authenticated writes must carry the session's CSRF token in a header, which a
 * cross-site form cannot set. Then the route's permission is checked against the module policy.
 */
export async function authenticate(
  app: FastifyInstance,
  req: FastifyRequest,
  opts: { optional: boolean; permission?: string },
): Promise<AuthContext | null> {
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const header = req.headers.authorization;
  const cookie = req.cookies[SESSION_COOKIE];
  let auth: AuthContext | null = null;
  try {
    if (header !== undefined) {
      const m = /^Bearer (\S+)$/.exec(header);
      if (!m?.[1]) throw new AppError('unauthenticated', 'Authorization must be "Bearer <api key>"');
      const key = await authenticateApiKey(ctx, m[1]);
      auth = {
        actor: {
          workspaceId: key.workspaceId,
          type: 'api_key',
          id: key.id,
          label: `api-key:${key.name}`,
          role: key.role,
          ip: req.ip,
          requestId: String(req.id),
        },
        role: key.role,
        via: 'api_key',
        sessionId: null,
        sessionExpiresAt: null,
        csrfToken: null,
      };
    } else if (cookie) {
      const s = await resolveSession(ctx, cookie);
      auth = {
        actor: userActor(s.user, req.ip, String(req.id)),
        role: s.user.role as Role,
        via: 'session',
        sessionId: s.sessionId,
        sessionExpiresAt: s.expiresAt,
        csrfToken: s.csrfToken,
      };
    }
  } catch (err) {
    if (opts.optional) return null;
    throw err;
  }
  if (!auth) {
    if (opts.optional) return null;
    throw new AppError('unauthenticated', 'Sign in, or send an API key as "Authorization: Bearer <key>"');
  }
  if (opts.permission === 'session' && auth.via !== 'session') {
    throw new AppError('unauthenticated', 'This needs a signed-in browser session, not an API key');
  }
  if (auth.via === 'session' && !SAFE_METHODS.has(req.method) && !opts.optional) {
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !auth.csrfToken || !safeEqual(sent, auth.csrfToken)) {
      throw new AppError('csrf_failed', `Cookie-authenticated writes need the ${CSRF_HEADER} header from the session`);
    }
  }
  if (opts.permission && !can(auth.role, opts.permission)) {
    throw new AppError('forbidden', `Role ${auth.role} may not ${opts.permission}`);
  }
  return auth;
}
