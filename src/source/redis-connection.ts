// Opens the connections to the dialler's Redis. Commands wait through a disconnect
// (maxRetriesPerRequest: null) instead of failing, and reconnects back off up to 5 s;
// connection state changes are logged once each, not once per retry.

import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from '../log';
import { conditionOf, conditionText } from './redis-condition';
import type { RedisConditionWatch } from './redis-condition-watch';
import { endpointOptions, redisTarget, type RedisEndpointSettings } from './redis-endpoint';

/** Every field of the endpoint is required (if undefined) so no caller drops TLS or auth by accident. */
export type RedisSettings = RedisEndpointSettings;

export interface ConnectOptions {
  /** For one-shot CLI commands: give up after a few attempts instead of waiting forever. */
  failFast?: boolean;
  /** Told every time the connection becomes ready (true) or is lost (false); for readiness. */
  onState?: (up: boolean) => void;
  /** Told of this connection's failures and readiness; it speaks for the conditions it names. */
  conditions?: RedisConditionWatch;
}

export function connectRedis(settings: RedisSettings, name: string, log: Logger, opts: ConnectOptions = {}): Redis {
  const options: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: opts.failFast ? 1 : null,
    // A one-shot command asks once and says what Redis answered (LOADING …) instead of waiting
    // out a load; behind Sentinel the check also makes sure the server is the master, so it stays.
    enableReadyCheck: !opts.failFast || settings.redisSentinels !== undefined,
    lazyConnect: true,
    connectTimeout: 5000,
    // A Redis loading its dataset is asked again after its own estimate, at most this much later:
    // the bridge goes on within a second of the load's end, without asking in a loop.
    maxLoadingRetryTime: 1000,
    retryStrategy: (attempt) => (opts.failFast && attempt > 3 ? null : Math.min(100 * 2 ** Math.min(attempt, 6), 5000)),
    ...(settings.redisPassword ? { password: settings.redisPassword } : {}),
    ...endpointOptions(settings, log),
  };
  const redis = new Redis(settings.redisUrl, options);
  let down = false;
  let everReady = false;
  opts.conditions?.watchConnection(redis, name);
  redis.on('error', (err: Error) => {
    opts.onState?.(false);
    // A refusal with a name (WRONGPASS, NOAUTH, …) is said once by the condition watch.
    const condition = conditionOf(err);
    if (down || (opts.conditions && condition !== undefined && condition !== 'unreachable')) return;
    down = true;
    const at = redisTarget(settings);
    const { action } = conditionText('unreachable');
    if (everReady) log.warn({ connection: name, redis: at, err: err.message, condition: 'unreachable', action }, `redis connection lost; reconnecting — ${action}`);
    else log.warn({ connection: name, redis: at, err: err.message, condition: 'unreachable', action }, `redis unreachable at ${at}; retrying — ${action}`);
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
