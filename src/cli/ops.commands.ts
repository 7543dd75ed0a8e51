import type { Command } from 'commander';
import type { Config } from '../platform/config.js';
import type { Page } from '../platform/http/pagination.js';
import type { ApiKey } from '../modules/api-keys/api-keys.schema.js';
import type { User } from '../modules/users/users.schema.js';
import type { Workspace } from '../modules/workspaces/workspaces.schema.js';
import { roleOption, type CliIO } from './main.js';
import { printJson, printTable } from './output.js';
import { runOp } from './run-op.js';

export function registerOpsCommands(program: Command, io: CliIO, getConfig: () => Config): void {
  const user = program.command('user').description('Manage users');
  user
    .command('create')
    .description('Create a user')
    .requiredOption('--email <email>', 'email address (the login)')
    .requiredOption('--password <password>', 'password, at least 12 characters')
    .addOption(roleOption())
    .option('--name <name>', 'display name', '')
    .option('--workspace <slug>', 'workspace slug (default: the first workspace)')
    .option('--json', 'print JSON')
    .action(async (o: { email: string; password: string; role: string; name: string; workspace?: string; json?: boolean }) => {
      const u = (await runOp(getConfig(), 'user.create', {
        email: o.email,
        password: o.password,
        role: o.role,
        name: o.name,
        workspace: o.workspace,
      })) as User;
      if (o.json) printJson(io, u);
      else io.out(`Created user ${u.email} (${u.role}), id ${u.id}`);
    });
  user
    .command('list')
    .description('List users')
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON')
    .action(async (o: { workspace?: string; json?: boolean }) => {
      const page = (await runOp(getConfig(), 'user.list', { workspace: o.workspace })) as Page<User>;
      if (o.json) printJson(io, page);
      else
        printTable(
          io,
          page.data.map((u) => ({ ...u, status: u.disabled ? 'disabled' : 'active' })),
          ['id', 'email', 'name', 'role', 'status', 'lastLoginAt'],
        );
    });
  for (const [name, enable] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    user
      .command(name)
      .description(enable ? 'Enable a disabled user' : 'Disable a user (signs them out everywhere)')
      .requiredOption('--email <email>', "the user's email")
      .option('--json', 'print JSON')
      .action(async (o: { email: string; json?: boolean }) => {
        const u = (await runOp(getConfig(), 'user.disable', { email: o.email, enable })) as User;
        if (o.json) printJson(io, u);
        else io.out(`${u.email} is now ${u.disabled ? 'disabled' : 'active'}`);
      });
  }
  user
    .command('set-role')
    .description("Change a user's role")
    .requiredOption('--email <email>', "the user's email")
    .addOption(roleOption())
    .option('--json', 'print JSON')
    .action(async (o: { email: string; role: string; json?: boolean }) => {
      const u = (await runOp(getConfig(), 'user.set-role', { email: o.email, role: o.role })) as User;
      if (o.json) printJson(io, u);
      else io.out(`${u.email} is now ${u.role}`);
    });

  const key = program.command('api-key').description('Manage API keys');
  key
    .command('create')
    .description('Create an API key; the key is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'a name to recognise the key by')
    .addOption(roleOption())
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON ({key, id, ...})')
    .action(async (o: { name: string; role: string; workspace?: string; json?: boolean }) => {
      const k = (await runOp(getConfig(), 'api-key.create', { name: o.name, role: o.role, workspace: o.workspace })) as ApiKey & {
        key: string;
      };
      if (o.json) printJson(io, k);
      else {
        io.out(`Created API key "${k.name}" (${k.role}), id ${k.id}. Copy it now; it is not shown again:`);
        io.out(k.key);
      }
    });
  key
    .command('list')
    .description('List API keys (never their secrets)')
    .option('--all', 'include revoked keys')
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; workspace?: string; json?: boolean }) => {
      const page = (await runOp(getConfig(), 'api-key.list', { all: Boolean(o.all), workspace: o.workspace })) as Page<ApiKey>;
      if (o.json) printJson(io, page);
      else
        printTable(
          io,
          page.data.map((k) => ({ ...k, status: k.revokedAt ? 'revoked' : 'active' })),
          ['id', 'name', 'role', 'prefix', 'status', 'lastUsedAt'],
        );
    });
  key
    .command('revoke')
    .description('Revoke an API key')
    .argument('<id>', "the key's id")
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { workspace?: string; json?: boolean }) => {
      const k = (await runOp(getConfig(), 'api-key.revoke', { id, workspace: o.workspace })) as ApiKey;
      if (o.json) printJson(io, k);
      else io.out(`Revoked API key "${k.name}"`);
    });

  const ws = program.command('workspace').description('Manage workspaces');
  ws.command('create')
    .description('Create a workspace')
    .requiredOption('--name <name>', 'workspace name')
    .option('--slug <slug>', 'URL-safe short name (default: from the name)')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; slug?: string; json?: boolean }) => {
      const w = (await runOp(getConfig(), 'workspace.create', { name: o.name, slug: o.slug })) as Workspace;
      if (o.json) printJson(io, w);
      else io.out(`Created workspace ${w.name} (${w.slug}), id ${w.id}`);
    });
  ws.command('list')
    .description('List workspaces')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = (await runOp(getConfig(), 'workspace.list', {})) as { data: Workspace[] };
      if (o.json) printJson(io, r);
      else printTable(io, r.data, ['id', 'slug', 'name', 'createdAt']);
    });
}
