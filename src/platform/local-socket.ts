import { chmod, rm } from 'node:fs/promises';
import http from 'node:http';
import { AppError, type ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

export type OperationRunner = (name: string, args: unknown) => Promise<unknown>;

const MAX_BODY = 10 * 1024 * 1024;

/**
 * The running server's door for the CLI on the embedded database: an HTTP endpoint on a Unix
 * socket inside the data folder (mode 0600, so only the folder's owner can use it). The server
 * runs the requested operation through its own single database access path.
 */
export async function startLocalSocket(socketPath: string, run: OperationRunner, logger: Logger): Promise<http.Server> {
  await rm(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
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
          send(200, { ok: true, result: await run(op, args) });
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
): Promise<{ answered: false } | { answered: true; result: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/rpc', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
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
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve({ answered: false });
      else reject(err);
    });
    req.end(JSON.stringify({ op, args }));
  });
}
