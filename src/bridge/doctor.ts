// The doctor: every check of the environment the bridge runs in (Redis, Kafka, the schema
// registry), for `cdr-bridge doctor` and for `run` before it touches a CDR. Each part checks
// its own service; this file only combines them, and keeps the last result in Redis (next to
// the lease) for `status`.

import { hostname } from 'node:os';
import type Redis from 'ioredis';
import { fail, ok, type CheckResult } from '../check';
import type { Config } from '../config/config';
import { checkRegistry } from '../codec/registry-check';
import { checkKafka, type KafkaCheckSettings } from '../sink/kafka-checks';
import { checkRedis, MEMORY_CHECK } from '../source/redis-checks';
import { redisTarget } from '../source/redis-endpoint';

export interface DoctorReport {
  /** Epoch ms when the checks ended. */
  at: number;
  by: 'doctor' | 'run';
  host: string;
  pid: number;
  checks: CheckResult[];
}

/** Redis as the caller reached it: a connected client, or why it could not be reached. */
export type RedisReach = { client: Redis } | { error: string };

export async function examine(config: Config, redis: RedisReach): Promise<CheckResult[]> {
  const [redisChecks, kafkaChecks, registryCheck] = await Promise.all([
    'client' in redis
      ? checkRedis(redis.client, { source: config.sourceKey, processing: config.processingKey, deadLetter: config.deadLetterKey })
        .then((checks) => [ok('redis.reachable', redisTarget(config)), ...checks])
        .catch((err: unknown) => [{ ...fail('redis.reachable', `Redis at ${redisTarget(config)} failed a check: ${(err as Error).message}`, 'check the Redis server'), unreachable: true }])
      : Promise.resolve([{ ...fail('redis.reachable', redis.error, 'check REDIS_URL (or the Sentinel settings), the network and the credentials'), unreachable: true }]),
    checkKafka(kafkaCheckSettings(config)),
    checkRegistry(config),
  ]);
  return [...redisChecks, ...kafkaChecks, registryCheck];
}

/** 0 when every check is ok, 1 when any FAILs, 3 when there are warnings only. */
export function doctorExitCode(checks: readonly CheckResult[]): 0 | 1 | 3 {
  if (checks.some((c) => c.verdict === 'FAIL')) return 1;
  return checks.some((c) => c.verdict === 'warn') ? 3 : 0;
}

/** The Kafka side's settings, with issue 9's transactional id, progress topic and replication factor. */
export function kafkaCheckSettings(config: Config): KafkaCheckSettings {
  return {
    ...config,
    transactionalId: config.kafkaTransactionalId,
    progressTopic: config.kafkaProgressTopic,
    replicationFactor: config.kafkaTopicReplicationFactor,
  };
}

/** Where the last report is kept: beside the lease, under the source's name. */
export function doctorKey(config: Pick<Config, 'sourceKey'>): string {
  return `${config.sourceKey}:doctor`;
}

export function report(checks: CheckResult[], by: DoctorReport['by']): DoctorReport {
  return { at: Date.now(), by, host: hostname(), pid: process.pid, checks: checks.map(({ unreachable: _u, ...c }) => c) };
}

/**
 * Keeps the report for `status`; a Redis that refuses the write costs only that. Not even tried
 * on a full Redis: the record only adds, and `status` reads the memory state itself.
 */
export async function remember(redis: Redis, config: Pick<Config, 'sourceKey'>, doctor: DoctorReport): Promise<void> {
  if (doctor.checks.some((c) => c.name === MEMORY_CHECK && c.verdict === 'FAIL')) return;
  await redis.set(doctorKey(config), JSON.stringify(doctor)).catch(() => undefined);
}

export async function lastReport(redis: Redis, config: Pick<Config, 'sourceKey'>): Promise<DoctorReport | undefined> {
  const raw = await redis.get(doctorKey(config));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as DoctorReport;
  } catch {
    return undefined;
  }
}

/** One line per check: verdict, name, what was found, and what to do. */
export function formatChecks(checks: readonly CheckResult[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.verdict.padEnd(4)}  ${c.name.padEnd(width)}  ${c.found}${c.action ? ` — ${c.action}` : ''}\n`).join('');
}
