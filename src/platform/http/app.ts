import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { isKnownPermission, type Role } from '../permissions.js';
import { authenticate } from './authenticate.js';
import { problem, sendProblem, toProblem } from './error-handler.js';
import { registerIdempotency } from './idempotency.js';

export interface AppDeps {
  handle: DatabaseHandle;
  config: Config;
  clock: Clock;
  logger: Logger;
  jobs: Jobs;
  metrics: Metrics;
  version: string;
}

export interface AuthContext {
  actor: Actor;
  role: Role;
  via: 'session' | 'api_key';
  sessionId: string | null;
  sessionExpiresAt: Date | null;
  csrfToken: string | null;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  permission: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Permission name from a module policy, or `public` / `authenticated`. Required on /api routes. */
    permission?: string;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyInstance {
    keel: AppDeps;
    keelRoutes: RegisteredRoute[];
  }
}

export function requireAuth(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new AppError('unauthenticated');
  return req.auth;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export function defaultWebDir(): string {
  // src/platform/http -> <root>/web/dist ; dist/src/platform/http -> <root>/web/dist
  const up = here.includes(`${path.sep}dist${path.sep}`) ? '../../../../' : '../../../';
  return path.resolve(here, up, 'web/dist');
}

const API_PREFIXES = ['/api/v1/', '/v1/'];

// index.html names the current build's hashed assets, so it must never be served from a cache
// (sendFile would otherwise add the static plugin's max-age and override no-cache).
const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
const isApiUrl = (url: string) => API_PREFIXES.some((p) => url.startsWith(p));

export async function buildApp(deps: AppDeps, register: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.KEEL_BODY_LIMIT,
    trustProxy: deps.config.KEEL_TRUST_PROXY,
    requestIdHeader: 'x-request-id',
    genReqId: () => newId(),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('keel', deps);
  app.decorate('keelRoutes', [] as RegisteredRoute[]);
  app.decorateRequest('auth', null);

  // A request id from the caller is kept only if it is short and plain; otherwise ours.
  app.addHook('onRequest', async (req, reply) => {
    const incoming = req.headers['x-request-id'];
    if (typeof incoming === 'string' && !/^[\w.-]{1,64}$/.test(incoming)) req.id = newId();
    void reply.header('x-request-id', req.id);
  });

  // Every /api route must name its permission; a route without one fails at start-up (and in tests).
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    const url = route.url;
    if (isApiUrl(url) || url.startsWith('/api/v1')) {
      if (!permission) throw new Error(`Route ${String(route.method)} ${url} declares no permission`);
      if (!isKnownPermission(permission)) throw new Error(`Route ${String(route.method)} ${url} names unknown permission ${permission}`);
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue;
      app.keelRoutes.push({ method: m, url, permission: permission ?? 'public' });
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const p = toProblem(err, req);
    if (p.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: p.code, status: p.status }, p.detail);
    return sendProblem(reply, p);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  // Rate limits: per API key on every bearer request; the login route sets its own, per address.
  await app.register(fastifyRateLimit, {
    global: true,
    max: deps.config.KEEL_API_RATE_LIMIT,
    timeWindow: 60_000,
    allowList: (req) => !String(req.headers.authorization ?? '').startsWith('Bearer '),
    keyGenerator: (req) => `key:${String(req.headers.authorization ?? '').slice(7, 24)}`,
    errorResponseBuilder: (_req, ctx) => new AppError('rate_limited', `Rate limit exceeded: retry in ${ctx.after}`),
  });

  app.addHook('onRequest', async (req) => {
    const permission = req.routeOptions.config?.permission;
    if (!permission || permission === 'public') {
      // Public routes still learn who is calling when credentials come along (e.g. /auth/session).
      if (permission === 'public') req.auth = await authenticate(app, req, { optional: true });
      return;
    }
    req.auth = await authenticate(app, req, { optional: false, permission });
  });

  registerIdempotency(app);

  const httpDuration = deps.metrics.httpDuration;
  app.addHook('onResponse', async (req, reply) => {
    httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keel API',
        version: deps.version,
        description:
          'Marketing operations platform. JSON under /api/v1; errors are application/problem+json (RFC 9457) with a stable `code`; lists take `limit` and `cursor` and return `{data, nextCursor}`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer keel_...`' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'keel_session',
            description: 'Browser session; writes also need the x-csrf-token header',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // Swagger UI sets inline styles at run time, so its pages allow them (scripts stay 'self' only).
  // Operations start folded under their tags: expanded, Swagger UI took over a minute to lay out
  // the ~190 operations on a busy machine; folded, every tag shows at once and opens on a click.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { docExpansion: 'none', deepLinking: true },
    staticCSP: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await register(app);

  const webDir = deps.config.KEEL_WEB_DIR ?? defaultWebDir();
  const hasWeb = existsSync(path.join(webDir, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, { root: webDir, wildcard: false, index: false, maxAge: '1h', immutable: false });
    app.get('/', { schema: { hide: true } }, (_req, reply) => sendIndex(reply));
  }

  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0] ?? '';
    // Web app paths may begin with "api" (e.g. /api-keys): only /api itself and /api/... are the API's.
    const isApi = url === '/api' || url.startsWith('/api/') || url.startsWith('/v1/');
    const wantsPage = (req.method === 'GET' || req.method === 'HEAD') && !isApi && !path.extname(url);
    if (hasWeb && wantsPage) return sendIndex(reply);
    return sendProblem(reply, problem('not_found', `No route ${req.method} ${url}`, req));
  });

  return app;
}
