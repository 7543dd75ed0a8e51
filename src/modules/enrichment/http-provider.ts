import type { HttpConfig } from './enrichment.schema.js';
import { failed, ok, type EnrichedValue, type EnrichmentProvider, type ProviderAnswer } from './provider.js';

/** Answers larger than this are refused: an enrichment answer is a few kilobytes. */
export const MAX_RESPONSE_BYTES = 1_048_576;

/**
 * Reads a dot path ("company.name", "results.0.title") from a parsed JSON answer. Only the
 * answer's own keys are followed (never "__proto__" or "constructor" of a plain object).
 */
export function readPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const key of path.split('.')) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(key)) return undefined;
      cur = cur[Number(key)];
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, key)) {
      cur = (cur as Record<string, unknown>)[key];
    } else {
      return undefined;
    }
  }
  return cur;
}

function fillTemplate(template: string, values: Record<string, string | null>): { url: string } | { missing: string } {
  let missing: string | null = null;
  const url = template.replace(/\{([^{}]*)\}/g, (_m, key: string) => {
    const v = values[key];
    if (!v) {
      missing ??= key;
      return '';
    }
    return encodeURIComponent(v);
  });
  return missing ? { missing } : { url };
}

function confidenceFrom(doc: unknown, config: HttpConfig): number {
  if (!config.confidencePath) return config.confidence;
  const v = readPath(doc, config.confidencePath);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) return config.confidence;
  // Some services say 87 for 87 %.
  return Math.min(1, n > 1 ? n / 100 : n);
}

async function readCapped(res: Response): Promise<{ text: string } | { tooLarge: true }> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES) {
    await res.body?.cancel();
    return { tooLarge: true };
  }
  if (!res.body) return { text: '' };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return { tooLarge: true };
    }
    chunks.push(value);
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * A provider that asks an HTTP service: GET (or POST with a JSON body) to the configured URL with
 * the record's email, domain or name filled in, the configured headers, a timeout; the JSON answer
 * is read through the field map. Whatever goes wrong (a non-2xx status, a timeout, a refused
 * connection, a redirect, an answer that is not JSON or too large) is this record's error, with a
 * message that says what happened; it never throws.
 */
export function httpProvider(config: HttpConfig): EnrichmentProvider {
  async function call(values: Record<string, string | null>): Promise<ProviderAnswer> {
    const filled = fillTemplate(config.url, values);
    if ('missing' in filled) return failed('missing_input', `The record has no ${filled.missing} to look up`);
    const body = config.method === 'POST' ? JSON.stringify(Object.fromEntries(Object.entries(values).filter(([, v]) => v))) : undefined;
    let res: Response;
    try {
      res = await fetch(filled.url, {
        method: config.method,
        headers: { accept: 'application/json', ...(body && { 'content-type': 'application/json' }), ...config.headers },
        body,
        // A redirect is reported, not followed: the configured URL is the one that was reviewed.
        redirect: 'manual',
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError')
        return failed('timeout', `No answer within ${config.timeoutMs} ms`);
      return failed('network', `Could not reach the provider: ${describe(err)}`);
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      return failed(
        'redirect',
        `The provider redirected (${res.status}) to ${res.headers.get('location') ?? 'nowhere'}: configure that URL instead`,
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      return failed('http_status', `The provider answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    let read: Awaited<ReturnType<typeof readCapped>>;
    try {
      read = await readCapped(res);
    } catch (err) {
      if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError')
        return failed('timeout', `The answer did not finish within ${config.timeoutMs} ms`);
      return failed('network', `The answer broke off: ${describe(err)}`);
    }
    if ('tooLarge' in read) return failed('response_too_large', `The answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
    let doc: unknown;
    try {
      doc = JSON.parse(read.text);
    } catch {
      return failed('invalid_json', `The answer is not JSON (starts with ${JSON.stringify(read.text.slice(0, 40))})`);
    }
    const confidence = confidenceFrom(doc, config);
    const found: EnrichedValue[] = [];
    const notValues: string[] = [];
    for (const [path, field] of Object.entries(config.fieldMap)) {
      const v = readPath(doc, path);
      if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) continue;
      if (typeof v === 'string') found.push({ field, value: v.trim(), confidence });
      else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') found.push({ field, value: v, confidence });
      // An object or a list is not a field value: the path should go one step further.
      else notValues.push(path);
    }
    return ok(found, notValues.length ? { pathsNotValues: notValues } : {});
  }
  const notFor = (object: string): ProviderAnswer => ({
    status: 'not_applicable',
    reason: `This provider enriches ${config.object}s, not ${object}s`,
  });
  return {
    kind: 'http',
    enrichContact: (input) => {
      if (config.object !== 'contact') return Promise.resolve(notFor('contact'));
      const at = input.email ? input.email.lastIndexOf('@') : -1;
      return call({ email: input.email, domain: input.email && at > 0 ? input.email.slice(at + 1) : null });
    },
    enrichAccount: (input) => {
      if (config.object !== 'account') return Promise.resolve(notFor('account'));
      return call({ domain: input.domain, name: input.name });
    },
  };
}
