// Connections for one-shot operator commands (status, tail, replay, dlq): they fail fast, and
// a service that cannot be reached ends the command with one line naming it — address with
// secrets redacted — and exit 1, instead of an "unexpected error".

import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';
import type { Config } from '../config/config';
import { redactUrl } from '../config/settings';
import { OperationError } from '../errors';
import type { Logger } from '../log';
import { innermostMessage } from '../sink/kafka-error';
import { connectRedis, type RedisSettings } from '../source/redis-connection';
import { endpointOptions, redisTarget } from '../source/redis-endpoint';
import { conditionOf, conditionText } from '../source/redis-condition';
import { clientCertificateProblem, idleHandshakeError } from './client-certificate';

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
    const certificate = await redisCertificateProblem(config, cause ?? err, log);
    throw redisUnreachable(config, cause ?? err, certificate);
  } finally {
    redis.off('error', remember);
  }
}

export function redisUnreachable(config: Pick<RedisSettings, 'redisUrl' | 'redisSentinels' | 'redisSentinelName'>, err: unknown, explained?: string): OperationError {
  const at = config.redisSentinels !== undefined ? redisTarget(config) : redactUrl(config.redisUrl);
  // A Redis that answers with a refusal (WRONGPASS, BUSY, LOADING, …) is named for it, with what to do.
  const condition = conditionOf(err);
  if (explained === undefined && condition !== undefined && condition !== 'unreachable') {
    return new OperationError(`REDIS_${condition}`, `Redis at ${at} refuses: ${messageOf(err)} — ${conditionText(condition).action}`);
  }
  return new OperationError('REDIS_UNREACHABLE', `cannot reach Redis at ${at}: ${explained ?? messageOf(err)}`);
}

/** Kafka could not be reached: one line, saying so when it wants a client certificate. */
export async function kafkaUnreachable(config: Pick<Config, 'kafkaBrokers' | 'kafkaSsl' | 'kafkaSslCaFile' | 'kafkaSslCertFile'>, err: unknown): Promise<OperationError> {
  const explained = clientCertificateProblem(err, 'KAFKA_SSL', config.kafkaSslCertFile !== undefined) ?? (await kafkaCertificateProbe(config));
  return new OperationError('KAFKA_UNREACHABLE', `cannot reach Kafka at ${config.kafkaBrokers.join(',')}: ${explained ?? messageOf(innermostMessage(err))}`);
}

async function redisCertificateProblem(config: RedisSettings, err: unknown, log: Logger): Promise<string | undefined> {
  const given = config.redisTlsCertFile !== undefined;
  const direct = clientCertificateProblem(err, 'REDIS_TLS', given);
  if (direct !== undefined || given || config.redisSentinels !== undefined) return direct;
  const tls = endpointOptions(config, log).tls;
  if (!tls) return undefined;
  const url = new URL(config.redisUrl);
  return clientCertificateProblem(await idleHandshakeError(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 6379), tls), 'REDIS_TLS', false);
}

async function kafkaCertificateProbe(config: Pick<Config, 'kafkaBrokers' | 'kafkaSsl' | 'kafkaSslCaFile' | 'kafkaSslCertFile'>): Promise<string | undefined> {
  const first = config.kafkaBrokers[0];
  if (!config.kafkaSsl || config.kafkaSslCertFile !== undefined || first === undefined) return undefined;
  const colon = first.lastIndexOf(':');
  const host = first.slice(0, colon).replace(/^\[|\]$/g, '');
  const ca = config.kafkaSslCaFile !== undefined ? { ca: [readFileSync(config.kafkaSslCaFile)] } : {};
  return clientCertificateProblem(await idleHandshakeError(host, Number(first.slice(colon + 1)), ca), 'KAFKA_SSL', false);
}

function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Keep the promise of one line: some client errors span several.
  return message.split('\n')[0] ?? message;
}
