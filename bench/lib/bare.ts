// Baselines, each run as its own Node process (plain JavaScript, no loader), so they are launched
// and measured exactly like `node bin/keel.js serve`:
// - a bare Fastify hello-world server (the baseline);
// - for context, a bare Fastify + pg route doing the same database work as Keel's users list (look
//   the API key up by prefix and check its hash, read one page of users, send the same JSON), with
//   nothing else: no plugins, hooks, validation or schema-driven serialisation.
import { Proc } from './util.js';

const source = `
import Fastify from 'fastify';
const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
const stop = () => { app.close().then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
`;

const pgSource = `
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify();
const KEY = /^Bearer keel_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
app.get('/api/v1/users', async (req, reply) => {
  const m = KEY.exec(req.headers.authorization ?? '');
  if (!m) return reply.code(401).send({ code: 'unauthenticated' });
  const key = (await pool.query('select workspace_id, key_hash, revoked_at from api_keys where prefix = $1', [m[1]])).rows[0];
  const hash = createHash('sha256').update(m[2]).digest('hex');
  if (!key || key.revoked_at || key.key_hash.length !== hash.length || !timingSafeEqual(Buffer.from(key.key_hash), Buffer.from(hash))) {
    return reply.code(401).send({ code: 'invalid_api_key' });
  }
  const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? 50)));
  const { rows } = await pool.query(
    'select id, email, name, role, disabled_at, last_login_at, created_at, updated_at from users where workspace_id = $1 order by id limit $2',
    [key.workspace_id, limit + 1],
  );
  const data = rows.slice(0, limit).map((r) => ({
    id: r.id, email: r.email, name: r.name, role: r.role, disabled: r.disabled_at !== null,
    lastLoginAt: r.last_login_at?.toISOString() ?? null, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  }));
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify({ id: last.id })).toString('base64url') : null };
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
const stop = () => { app.close().then(() => pool.end()).then(() => process.exit(0)); };
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
`;

/** Starts the bare Fastify + pg users route on `port`, against `databaseUrl` (Keel's database). */
export function spawnBarePg(port: number, databaseUrl: string, nodeArgs: string[] = []): Proc {
  return new Proc('bare fastify + pg', process.execPath, [...nodeArgs, '--input-type=module', '-e', pgSource], {
    ...process.env,
    PORT: String(port),
    DATABASE_URL: databaseUrl,
  });
}

/** Starts the bare server on `port`; `nodeArgs` go before the script (e.g. --cpu-prof). */
export function spawnBare(port: number, nodeArgs: string[] = []): Proc {
  return new Proc('bare fastify', process.execPath, [...nodeArgs, '--input-type=module', '-e', source], {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
}
