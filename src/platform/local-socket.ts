import { chmod, rm } from 'node:fs/promises';
import http from 'node:http';
import { AppError, type ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

export type OperationRunner = (name: string, args: unknown, progress: (p: unknown) => void) => Promise<unknown>;

const MAX_BODY = 10 * 1024 * 1024;

/**
 * The running server's door for the CLI on the embedded database: an HTTP endpoint on a Unix
 * socket inside the data folder (mode 0600, so only the folder's owner can use it). The server
 * runs the requested operation through its own single database access path.
 */
export async function startLocalSocket(socketPath: string, run: OperationRunner, logger: Logger): Promise<http.Server> {
  await rm(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    // The answer is NDJSON: any number of {"progress": ...} lines while a long operation runs
    // (an import), then one final line with the result or the error.
    const send = (status: number, body: unknown) => {
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/x-ndjson' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const progress = (p: unknown) => {
      if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${JSON.stringify({ progress: p })}\n`);
    };
    if (req.method !== 'POST' || req.url !== '/rpc') return send(404, { code: 'not_found', detail: 'POST /rpc only' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        try {
          const { op, args } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { op: string; args: unknown };
          send(200, { ok: true, result: await run(op, args, progress) });
        } catch (err) {
          if (err instanceof AppError) return send(200, { ok: false, code: err.code, detail: err.message });
          logger.error({ err }, 'local socket operation failed');
          send(200, { ok: false, code: 'internal', detail: (err as Error).message });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return server;
}

/** Calls a running server's socket; resolves undefined when nobody is listening there. */
export function callLocalSocket(
  socketPath: string,
  op: string,
  args: unknown,
  onProgress?: (p: unknown) => void,
): Promise<{ answered: false } | { answered: true; result: unknown }> {
  return new Promise((resolve, reject) => {
    // agent: false, a connection of its own: Node 20's global agent keeps sockets alive and reuses
    // them, and a reused socket the server is just closing (its 5 s keep-alive timeout) answers
    // ECONNRESET, which made a CLI import through a busy server fail now and then.
    const req = http.request(
      { socketPath, path: '/rpc', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let buffered = '';
        let final: string | null = null;
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buffered += c;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (line.startsWith('{"progress":')) onProgress?.((JSON.parse(line) as { progress: unknown }).progress);
            else if (line.trim()) final = line;
          }
        });
        res.on('end', () => {
          try {
            const body = JSON.parse(final ?? buffered) as {
              ok: boolean;
              result?: unknown;
              code?: ErrorCode;
              detail?: string;
            };
            if (body.ok) resolve({ answered: true, result: body.result });
            else reject(new AppError(body.code ?? 'internal', body.detail));
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve({ answered: false });
      else reject(err);
    });
    req.end(JSON.stringify({ op, args }));
  });
}
