import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** JSON logs; pretty when writing to a terminal (or KEEL_LOG_PRETTY=1). */
export function createLogger(level: string, pretty?: boolean): Logger {
  const usePretty = pretty ?? Boolean(process.stdout.isTTY);
  const opts: LoggerOptions = {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'password', '*.password', 'key'],
      censor: '[redacted]',
    },
  };
  if (usePretty) {
    return pino({
      ...opts,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss' } },
    });
  }
  return pino(opts);
}
