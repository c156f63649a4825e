// Opens the connections to the dialler's Redis. Commands wait through a disconnect
// (maxRetriesPerRequest: null) instead of failing, and reconnects back off up to 5 s;
// connection state changes are logged once each, not once per retry.

import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../log';
import { endpointOptions, redisTarget, type RedisEndpointSettings } from './redis-endpoint';

/** Every field of the endpoint is required (if undefined) so no caller drops TLS or auth by accident. */
export type RedisSettings = RedisEndpointSettings;

export interface ConnectOptions {
  /** For one-shot CLI commands: give up after a few attempts instead of waiting forever. */
  failFast?: boolean;
  /** Told every time the connection becomes ready (true) or is lost (false); for readiness. */
  onState?: (up: boolean) => void;
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
    ...endpointOptions(settings, log),
  };
  const redis = new Redis(settings.redisUrl, options);
  let down = false;
  let everReady = false;
  redis.on('error', (err: Error) => {
    opts.onState?.(false);
    if (down) return;
    down = true;
    const at = redisTarget(settings);
    if (everReady) log.warn({ connection: name, redis: at, err: err.message }, 'redis connection lost; reconnecting');
    else log.warn({ connection: name, redis: at, err: err.message }, `redis unreachable at ${at}; retrying`);
  });
  redis.on('close', () => opts.onState?.(false));
  redis.on('ready', () => {
    everReady = true;
    opts.onState?.(true);
    if (!down) return;
    down = false;
    log.info({ connection: name }, 'redis connection restored');
  });
  return redis;
}
