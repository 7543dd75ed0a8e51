// The baseline: a bare Fastify hello-world server, run as its own Node process (plain JavaScript,
// no loader), so it is launched and measured exactly like `node bin/keel.js serve`.
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

/** Starts the bare server on `port`; `nodeArgs` go before the script (e.g. --cpu-prof). */
export function spawnBare(port: number, nodeArgs: string[] = []): Proc {
  return new Proc('bare fastify', process.execPath, [...nodeArgs, '--input-type=module', '-e', source], {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
  });
}
