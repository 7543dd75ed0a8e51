import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import { requireAuth } from '../../platform/http/app.js';
import { SESSION_COOKIE } from '../../platform/http/authenticate.js';
import { userSchema } from '../users/users.schema.js';
import { findUserById, toUser } from '../users/users.repo.js';
import { getWorkspace } from '../workspaces/workspaces.service.js';
import { changePasswordSchema, loginSchema, sessionInfoSchema, sessionListItemSchema, updateProfileSchema } from './auth.schema.js';
import { changePassword, listSessions, login, logout, revokeOwnSession, updateProfile, type NewSession } from './auth.service.js';

export function setSessionCookie(app: FastifyInstance, reply: FastifyReply, s: NewSession): void {
  const secure = app.keel.config.KEEL_COOKIE_SECURE;
  void reply.setCookie(SESSION_COOKIE, s.token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secure === 'auto' ? 'auto' : secure === 'true',
    expires: s.expiresAt,
  });
}

export async function authRoutes(app: FastifyInstance): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const ctx = { db: app.keel.handle.db, clock: app.keel.clock };
  const tags = ['Auth'];
  const requireSession = (req: Parameters<typeof requireAuth>[0]) => {
    const auth = requireAuth(req);
    if (auth.via !== 'session' || !auth.sessionId)
      throw new AppError('unauthenticated', 'This needs a signed-in browser session, not an API key');
    return auth;
  };

  r.post(
    '/api/v1/auth/login',
    {
      config: {
        permission: 'public',
        rateLimit: {
          max: app.keel.config.KEEL_LOGIN_RATE_LIMIT,
          timeWindow: 60_000,
          allowList: () => false,
          keyGenerator: (req) => `login:${req.ip}`,
        },
      },
      schema: {
        tags,
        summary: 'Sign in: sets the session cookie and returns the CSRF token',
        body: loginSchema,
        response: { 200: sessionInfoSchema },
      },
    },
    async (req, reply) => {
      const s = await login(ctx, req.body, {
        ttlHours: app.keel.config.KEEL_SESSION_TTL_HOURS,
        ip: req.ip,
        userAgent: req.headers['user-agent'] ?? null,
      });
      setSessionCookie(app, reply, s);
      return {
        user: s.user,
        workspace: await getWorkspace(ctx.db, s.workspaceId),
        csrfToken: s.csrfToken,
        expiresAt: s.expiresAt.toISOString(),
      };
    },
  );

  r.post(
    '/api/v1/auth/logout',
    {
      config: { permission: 'session' },
      schema: { tags, summary: 'Sign out: revokes this session', response: { 204: z.null() } },
    },
    async (req, reply) => {
      const auth = requireSession(req);
      await logout(ctx, auth.actor, auth.sessionId ?? '');
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/api/v1/auth/session',
    {
      config: { permission: 'session' },
      schema: { tags, summary: 'The signed-in user, workspace and CSRF token', response: { 200: sessionInfoSchema } },
    },
    async (req) => {
      const auth = requireSession(req);
      const user = await findUserById(ctx.db, auth.actor.workspaceId, auth.actor.id ?? '');
      if (!user) throw new AppError('session_expired');
      return {
        user: toUser(user),
        workspace: await getWorkspace(ctx.db, auth.actor.workspaceId),
        csrfToken: auth.csrfToken ?? '',
        expiresAt: (auth.sessionExpiresAt ?? ctx.clock.now()).toISOString(),
      };
    },
  );

  r.post(
    '/api/v1/auth/password',
    {
      config: { permission: 'session' },
      schema: {
        tags,
        summary: 'Change your password (signs out your other sessions)',
        body: changePasswordSchema,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      const auth = requireSession(req);
      await changePassword(ctx, auth.actor, req.body, auth.sessionId);
      return reply.status(204).send(null);
    },
  );

  r.patch(
    '/api/v1/auth/profile',
    {
      config: { permission: 'session' },
      schema: { tags, summary: 'Change your display name', body: updateProfileSchema, response: { 200: userSchema } },
    },
    async (req) => updateProfile(ctx, requireSession(req).actor, req.body.name),
  );

  r.get(
    '/api/v1/auth/sessions',
    {
      config: { permission: 'session' },
      schema: { tags, summary: 'Your active sessions', response: { 200: z.object({ data: z.array(sessionListItemSchema) }) } },
    },
    async (req) => {
      const auth = requireSession(req);
      return { data: await listSessions(ctx, auth.actor.id ?? '', auth.sessionId) };
    },
  );

  r.delete(
    '/api/v1/auth/sessions/:id',
    {
      config: { permission: 'session' },
      schema: { tags, summary: 'Sign out one of your sessions', params: z.object({ id: z.uuid() }).strict(), response: { 204: z.null() } },
    },
    async (req, reply) => {
      await revokeOwnSession(ctx, requireSession(req).actor, req.params.id);
      return reply.status(204).send(null);
    },
  );
}
