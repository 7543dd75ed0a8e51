import { Command, Option } from 'commander';
import { loadConfig, ConfigError, type Config } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import { roles } from '../platform/permissions.js';
import { version } from '../platform/version.js';
import { registerDataCommands } from './data.commands.js';
import { registerOpsCommands } from './ops.commands.js';
import { registerDedupeCommands } from './dedupe.commands.js';
import { registerSystemCommands } from './system.commands.js';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
}

export const roleOption = () => new Option('--role <role>', 'role').choices([...roles]).makeOptionMandatory();

export function buildProgram(io: CliIO, getConfig: () => Config): Command {
  const program = new Command('keel')
    .description(
      'Keel: marketing operations platform. Commands work on the embedded data folder (KEEL_DATA_DIR) or DATABASE_URL, whether or not the server runs.',
    )
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  registerSystemCommands(program, io, getConfig);
  registerOpsCommands(program, io, getConfig);
  registerDataCommands(program, io, getConfig);
  registerDedupeCommands(program, io, getConfig);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const io: CliIO = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };
  const program = buildProgram(io, () => loadConfig());
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : (e.exitCode ?? 2);
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return 78;
    }
    if (err instanceof AppError) {
      io.err(`keel: ${err.message} (${err.code})`);
      return err.code === 'validation_failed' ? 2 : 1;
    }
    io.err(`keel: ${(err as Error).message}`);
    return 1;
  }
}
