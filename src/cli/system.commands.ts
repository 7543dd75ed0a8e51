import { existsSync } from 'node:fs';
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Config } from '../platform/config.js';
import { isDataDirLocked, lockDataDir } from '../platform/db/data-dir-lock.js';
import { openDatabase } from '../platform/db/database.js';
import { migrate, pendingMigrations } from '../platform/db/migrate.js';
import { AppError } from '../platform/errors.js';
import { defaultWebDir } from '../platform/http/app.js';
import { allPermissions, roleLabels, roles } from '../platform/permissions.js';
import { pgDataDir, openRuntime } from '../platform/runtime.js';
import { startServer, type ServeRole } from '../platform/server.js';
import '../modules/index.js';
import type { CliIO } from './main.js';
import { printJson } from './output.js';
import { runOp } from './run-op.js';

export function registerSystemCommands(program: Command, io: CliIO, getConfig: () => Config): void {
  program
    .command('serve')
    .description('Serve the API and web app (and run background jobs)')
    .addOption(new Option('--role <role>', 'web, worker, or all in one process').choices(['all', 'web', 'worker']).default('all'))
    .action(async (o: { role: ServeRole }) => {
      const server = await startServer(getConfig(), o.role);
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          void server.stop().then(resolve, resolve);
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });

  program
    .command('migrate')
    .description('Apply pending database migrations')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const config = getConfig();
      const rt = await openRuntime(config, { migrate: false, waitForStaleMs: 20_000 });
      try {
        const res = await migrate(rt.handle.db);
        if (o.json) printJson(io, res);
        else io.out(res.applied.length ? `Applied ${res.applied.join(', ')}` : `Up to date (version ${res.current})`);
      } finally {
        await rt.handle.close();
        await rt.release();
      }
    });

  program
    .command('doctor')
    .description('Check the install, the database and the data folder')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const checks: Array<{ name: string; ok: boolean; detail: string }> = [];
      const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
      const major = Number(process.versions.node.split('.')[0]);
      add('node', major >= 20, `Node ${process.versions.node} (needs 20 or newer)`);
      let config: Config | null = null;
      try {
        config = getConfig();
        add('config', true, config.DATABASE_URL ? 'DATABASE_URL (PostgreSQL)' : `embedded, data folder ${config.dataDir}`);
      } catch (err) {
        add('config', false, (err as Error).message);
      }
      add('web app', existsSync(path.join(defaultWebDir(), 'index.html')), `built web app in ${defaultWebDir()} (npm run build)`);
      if (config) {
        if (!config.DATABASE_URL && (await isDataDirLocked(config.dataDir))) {
          add('data folder', true, `${config.dataDir} is in use by a running Keel server`);
          try {
            await runOp(config, 'workspace.list', {});
            add('server socket', true, 'the running server answers on its local socket');
          } catch (err) {
            add('server socket', false, (err as Error).message);
          }
        } else {
          try {
            const rt = await openRuntime(config, { migrate: false });
            try {
              const pending = await pendingMigrations(rt.handle.db);
              add('database', true, `${rt.handle.kind} database reachable`);
              add('migrations', pending.length === 0, pending.length ? `pending: ${pending.join(', ')} (run keel migrate)` : 'all applied');
            } finally {
              await rt.handle.close();
              await rt.release();
            }
          } catch (err) {
            add('database', false, (err as Error).message);
          }
        }
      }
      if (o.json) printJson(io, { ok: checks.every((c) => c.ok), checks });
      else for (const c of checks) io.out(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(14)} ${c.detail}`);
      if (!checks.every((c) => c.ok)) process.exitCode = 1;
    });

  program
    .command('backup')
    .description('Write a backup of the embedded data folder (works while the server runs)')
    .argument('<file>', 'where to write the .tar.gz')
    .action(async (file: string) => {
      const res = (await runOp(getConfig(), 'backup.dump', {})) as { base64: string };
      const buf = Buffer.from(res.base64, 'base64');
      await writeFile(file, buf);
      io.out(`Wrote ${file} (${(buf.length / 1024).toFixed(0)} KiB)`);
    });

  program
    .command('restore')
    .description('Replace the embedded database with a backup (the server must be stopped; the old data is kept aside)')
    .argument('<file>', 'a file written by keel backup')
    .action(async (file: string) => {
      const config = getConfig();
      if (config.DATABASE_URL)
        throw new AppError('validation_failed', 'keel restore is for the embedded database; use pg_restore with DATABASE_URL');
      const data = await readFile(file);
      const release = await lockDataDir(config.dataDir);
      try {
        const target = pgDataDir(config);
        let kept: string | null = null;
        if (existsSync(target)) {
          kept = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
          await rename(target, kept);
        }
        await mkdir(target, { recursive: true });
        const lite = await PGlite.create(target, { loadDataDir: new Blob([data]) });
        await lite.close();
        const handle = await openDatabase({ dataDir: target });
        try {
          await migrate(handle.db);
        } finally {
          await handle.close();
        }
        io.out(`Restored ${file}${kept ? `; the previous data is in ${kept}` : ''}`);
      } finally {
        await release();
      }
    });

  program
    .command('docs')
    .description('Generate documentation')
    .command('permissions')
    .description('Print the permissions matrix as Markdown')
    .action(() => {
      io.out('# Permissions matrix\n');
      io.out('Generated by `keel docs permissions` from the module policies (`src/**/*.policy.ts`). Do not edit by hand.\n');
      io.out(
        'Routes marked `session` (your own sessions, password and profile, with a browser session) are open to every role; `public` routes (health, login, first-run set-up) need no credentials.\n',
      );
      io.out(`| permission | what it allows | ${roles.map((r) => roleLabels[r]).join(' | ')} |`);
      io.out(`| --- | --- | ${roles.map(() => ':-:').join(' | ')} |`);
      for (const p of allPermissions())
        io.out(`| \`${p.name}\` | ${p.description} | ${roles.map((r) => (p.roles.includes(r) ? 'yes' : '·')).join(' | ')} |`);
    });
}
