import path from 'node:path';
import { z } from 'zod';

const bool = z.enum(['0', '1', 'true', 'false', 'yes', 'no', 'on', 'off']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const posInt = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .positive(`${name} must be greater than 0`);

/** Every setting Keel reads from the environment, validated once at start. */
export const configSchema = z.object({
  PORT: z.coerce
    .number({ error: 'PORT must be a number' })
    .int('PORT must be a whole number')
    .min(0, 'PORT must be 0-65535')
    .max(65535, 'PORT must be 0-65535')
    .default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
    .optional(),
  KEEL_DATA_DIR: z.string().min(1).default('./.keel'),
  KEEL_DEMO: bool.default(true),
  KEEL_DEMO_PASSWORD: z.string().min(12, 'KEEL_DEMO_PASSWORD must be at least 12 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KEEL_LOG_PRETTY: bool.optional(),
  KEEL_BODY_LIMIT: posInt('KEEL_BODY_LIMIT').default(1_048_576),
  KEEL_SESSION_TTL_HOURS: posInt('KEEL_SESSION_TTL_HOURS').default(168),
  KEEL_LOGIN_RATE_LIMIT: posInt('KEEL_LOGIN_RATE_LIMIT').default(10),
  KEEL_API_RATE_LIMIT: posInt('KEEL_API_RATE_LIMIT').default(6000),
  KEEL_DB_POOL_MAX: posInt('KEEL_DB_POOL_MAX').default(10),
  KEEL_TRUST_PROXY: bool.default(false),
  KEEL_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  KEEL_WEB_DIR: z.string().optional(),
  KEEL_IMPORT_MAX_BYTES: posInt('KEEL_IMPORT_MAX_BYTES').default(5 * 1024 * 1024 * 1024),
  KEEL_FILES_DIR: z.string().optional(),
  KEEL_TRACK_RATE_LIMIT: posInt('KEEL_TRACK_RATE_LIMIT').default(120_000),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; filesDir: string };

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates configuration; throws ConfigError with one line per bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0] ?? '');
        return `${key}=${JSON.stringify(known[key])}: ${i.message}`;
      }),
    );
  }
  const dataDir = path.resolve(parsed.data.KEEL_DATA_DIR);
  return { ...parsed.data, dataDir, filesDir: path.resolve(parsed.data.KEEL_FILES_DIR ?? path.join(dataDir, 'files')) };
}
