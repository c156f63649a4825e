// The process logger: pino JSON on stderr (stdout stays free for command output).
// Lifecycle events only at info; per-CDR detail is debug and costs nothing when off.

import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'cdr-bridge'): Logger {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: config is logged redacted already; these paths catch the rest.
      redact: { paths: ['password', '*.password', 'sasl.password', 'config.redisPassword'], censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
