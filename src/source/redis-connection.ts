// Opens the connections to the dialler's Redis. Commands wait through a disconnect
// (maxRetriesPerRequest: null) instead of failing, and reconnects back off up to 5 s;
// connection state changes are logged once each, not once per retry.

import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../log';

export interface RedisSettings {
  redisUrl: string;
  redisPassword?: string | undefined;
}

export interface ConnectOptions {
  /** For one-shot CLI commands: give up after a few attempts instead of waiting forever. */
  failFast?: boolean;
}

export function connectRedis(settings: RedisSettings, name: string, log: Logger, opts: ConnectOptions = {}): Redis {
  const options: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: opts.failFast ? 1 : null,
    enableReadyCheck: true,
    lazyConnect: true,
    connectTimeout: 5000,
    retryStrategy: (attempt) => (opts.failFast && attempt > 3 ? null : Math.min(100 * 2 ** Math.min(attempt, 6), 5000)),
    ...(settings.redisPassword ? { password: settings.redisPassword } : {}),
  };
  const redis = new Redis(settings.redisUrl, options);
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ connection: name, err: err.message }, 'redis connection lost; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ connection: name }, 'redis connection restored');
  });
  return redis;
}

/** True while the connection can run commands now. */
export function isRedisReady(redis: Redis): boolean {
  return redis.status === 'ready';
}
