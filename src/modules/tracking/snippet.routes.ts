import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { loadSnippet } from './snippet/build-snippet.js';

const isTrackingApi = (url: string) => url.startsWith('/v1/');

/** Does the client take gzip (RFC 9110 section 12.5.3)? `gzip;q=0` says no. */
function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  return (header ?? '').split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/**
 * The browser snippet (/js/keel.js) and what the browser needs to reach the Segment-compatible
 * /v1 API from a customer's site: CORS, and sendBeacon's text/plain bodies.
 *
 * /v1 is called from any origin, so it answers CORS with `*`: write keys are public by design
 * (they only add events), and no cookie is trusted on /v1. The rest of the API stays same-origin.
 *
 * This plugin is not encapsulated (skip-override) so its hooks and its text/plain parser reach the
 * /v1 routes of trackingRoutes, a sibling plugin; Fastify copies a context's hooks and parsers to
 * the plugins registered after it, so it must be registered before trackingRoutes (checked below).
 */
async function snippetPlugin(app: FastifyInstance): Promise<void> {
  if (app.hasRoute({ method: 'POST', url: '/v1/batch' })) {
    throw new Error('snippetRoutes must be registered before trackingRoutes, or /v1 gets no CORS headers');
  }

  app.get('/js/keel.js', { config: { permission: 'public' }, schema: { hide: true } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const snippet = await loadSnippet();
    void reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('etag', snippet.etag)
      .header('vary', 'accept-encoding')
      // Helmet's default (same-origin) would stop other sites from loading the script.
      .header('cross-origin-resource-policy', 'cross-origin');
    if (matchesEtag(req.headers['if-none-match'], snippet.etag)) return reply.status(304).send();
    if (acceptsGzip(req.headers['accept-encoding'])) return reply.header('content-encoding', 'gzip').send(snippet.gzip);
    return reply.send(snippet.code);
  });

  // CORS preflight (https://fetch.spec.whatwg.org/#cors-preflight-fetch) for fetch() with the
  // write key in an Authorization header and a JSON body.
  app.options('/v1/*', { config: { permission: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply
      .status(204)
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', 'content-type, authorization, content-encoding')
      .header('access-control-max-age', '7200')
      .send(),
  );

  app.addHook('onSend', async (req, reply) => {
    if (!isTrackingApi(req.url)) return;
    void reply.header('access-control-allow-origin', '*').header('cross-origin-resource-policy', 'cross-origin');
  });

  // navigator.sendBeacon cannot set headers: keel.js sends its last batch as a text/plain string
  // (no preflight) holding JSON with the write key. On /v1 such a body is parsed as JSON; elsewhere
  // text/plain stays the plain string Fastify's own parser gives.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (req, body, done) => {
    if (!isTrackingApi(req.url)) return done(null, body);
    try {
      done(null, JSON.parse(String(body)) as unknown);
    } catch {
      done(new AppError('invalid_json', 'A text/plain body on /v1 must hold JSON'), undefined);
    }
  });
}

export const snippetRoutes = Object.assign(snippetPlugin, { [Symbol.for('skip-override')]: true });
