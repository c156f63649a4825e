// Routes kafkajs's own log lines into pino at debug level: the bridge logs connection state
// changes itself, once each, and kafkajs's per-retry errors would drown them at info.

import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../log';

export function kafkaLogCreator(log: Logger): logCreator {
  const child = log.child({ component: 'kafkajs' });
  return () => ({ level, log: entry }) => {
    const { message, ...rest } = entry;
    if (level === logLevel.NOTHING) return;
    child.debug({ kafkaLevel: logLevel[level], ...rest }, message);
  };
}
