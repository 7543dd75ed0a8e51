import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Snippet {
  /** keel.js, one minified IIFE. */
  code: string;
  gzip: Buffer;
  /** A strong validator (RFC 9110 section 8.8.3) over the code. */
  etag: string;
}

/** The browsers the snippet supports: those with fetch keepalive and sendBeacon (2018 on). */
const TARGET = 'es2018';

// From src/ (tsx, vitest) the TypeScript source sits next to this file; from dist/ the JavaScript
// tsc made of it does.
const sourceFile = (): { path: string; loader: 'ts' | 'js' } => {
  const ts = fileURLToPath(new URL('./keel.ts', import.meta.url));
  return existsSync(ts) ? { path: ts, loader: 'ts' } : { path: fileURLToPath(new URL('./keel.js', import.meta.url)), loader: 'js' };
};

/**
 * Builds keel.js with esbuild (installed with tsx and vite). Should it be missing, the source is
 * served as tsc compiled it, wrapped so that nothing leaks into the page's globals: larger, same
 * behaviour.
 */
export async function buildSnippet(): Promise<string> {
  const { path, loader } = sourceFile();
  const source = await readFile(path, 'utf8');
  let esbuild: typeof import('esbuild') | null = null;
  try {
    esbuild = await import('esbuild');
  } catch {
    esbuild = null;
  }
  if (!esbuild) {
    const body = source.replace(/^export \{\};$/m, '').replace(/^\/\/# sourceMappingURL=.*$/m, '');
    return `(function(){${body}})();\n`;
  }
  const out = await esbuild.transform(source, { loader, format: 'iife', minify: true, target: TARGET, legalComments: 'none' });
  return out.code;
}

let cached: Promise<Snippet> | null = null;

/** keel.js built once per process, then served from memory with its gzip and ETag. */
export function loadSnippet(): Promise<Snippet> {
  cached ??= buildSnippet().then(
    (code) => ({
      code,
      gzip: gzipSync(code, { level: 9 }),
      etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"`,
    }),
    (err: unknown) => {
      cached = null; // a failed build is tried again on the next request
      throw err;
    },
  );
  return cached;
}
