import type { z } from 'zod';

/** An RFC 9457 problem as the Keel API sends it (application/problem+json). */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  errors?: Array<{ path?: string; message: string }>;
  requestId?: string;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

// The session's CSRF token: every cookie-authenticated write must send it as x-csrf-token.
// It lives in memory only (never in storage) and comes from login, set-up or GET /auth/session.
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function isProblem(v: unknown): v is Problem {
  return typeof v === 'object' && v !== null && 'status' in v && 'title' in v && 'code' in v;
}

async function send(method: string, path: string, body?: unknown, query?: Query, extra?: Record<string, string>): Promise<unknown> {
  const headers: Record<string, string> = { ...extra, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(`/api/v1${path}`, query), {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({
      title: 'Cannot reach the server',
      status: 0,
      code: 'network_error',
      detail: 'Check your connection and try again.',
    });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    if (isProblem(json)) throw new ApiError(json);
    throw new ApiError({
      title: res.statusText || 'Request failed',
      status: res.status,
      code: 'http_error',
      detail: `The server answered ${res.status}.`,
    });
  }
  return json;
}

/** Typed calls: each response is parsed with the zod schema the API itself is declared with. */
export const api = {
  get: async <S extends z.ZodType>(path: string, schema: S, query?: Query): Promise<z.infer<S>> =>
    schema.parse(await send('GET', path, undefined, query)),
  post: async <S extends z.ZodType>(path: string, schema: S, body?: unknown): Promise<z.infer<S>> =>
    schema.parse(await send('POST', path, body ?? {})),
  /** `headers` carries conditions such as If-Match (a 412 answer becomes an ApiError like any other). */
  patch: async <S extends z.ZodType>(path: string, schema: S, body: unknown, headers?: Record<string, string>): Promise<z.infer<S>> =>
    schema.parse(await send('PATCH', path, body, undefined, headers)),
  put: async <S extends z.ZodType>(path: string, schema: S, body: unknown): Promise<z.infer<S>> =>
    schema.parse(await send('PUT', path, body)),
  /** For 204 answers. */
  postNoContent: async (path: string, body?: unknown): Promise<void> => {
    await send('POST', path, body ?? {});
  },
  delete: async (path: string): Promise<void> => {
    await send('DELETE', path);
  },
};

export function isAuthLost(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'unauthenticated' || err.code === 'session_expired');
}
