// Connections for one-shot operator commands (status, tail, replay, dlq): they fail fast, and
// a service that cannot be reached ends the command with one line naming it — address with
// secrets redacted — and exit 1, instead of an "unexpected error".

import type Redis from 'ioredis';
import type { Config } from '../config/config';
import { redactUrl } from '../config/settings';
import { OperationError } from '../errors';
import type { Logger } from '../log';
import { innermostMessage } from '../sink/kafka-error';
import { connectRedis, type RedisSettings } from '../source/redis-connection';
import { redisTarget } from '../source/redis-endpoint';

/** A connected Redis client, or an OperationError naming the Redis that could not be reached. */
export async function openRedis(config: RedisSettings, name: string, log: Logger): Promise<Redis> {
  const redis = connectRedis(config, name, log, { failFast: true });
  // connect() rejects with a bare "Connection is closed."; the cause came as an 'error' event.
  let cause: unknown;
  const remember = (err: unknown): void => {
    cause ??= err;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw redisUnreachable(config, cause ?? err);
  } finally {
    redis.off('error', remember);
  }
}

export function redisUnreachable(config: Pick<RedisSettings, 'redisUrl' | 'redisSentinels' | 'redisSentinelName'>, err: unknown): OperationError {
  const at = config.redisSentinels !== undefined ? redisTarget(config) : redactUrl(config.redisUrl);
  return new OperationError('REDIS_UNREACHABLE', `cannot reach Redis at ${at}: ${messageOf(err)}`);
}

export function kafkaUnreachable(config: Pick<Config, 'kafkaBrokers'>, err: unknown): OperationError {
  return new OperationError('KAFKA_UNREACHABLE', `cannot reach Kafka at ${config.kafkaBrokers.join(',')}: ${messageOf(innermostMessage(err))}`);
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Keep the promise of one line: some client errors span several.
  return message.split('\n')[0] ?? message;
}
