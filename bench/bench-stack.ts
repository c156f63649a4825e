// The services a benchmark phase talks to. Normally the benchmark's own OwnStack; with
// --stack-dir, a stack already up (its env file), left running afterwards — for iterating on
// one phase without paying the half-minute Kafka start each time.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import type { KafkaClientSettings } from '../src/sink/kafka-client';
import { parseEnvFile } from '../test/support/own-stack';
import { kafkaSettings } from '../test/support/services';

export interface BenchStack {
  /** The STACK_DIR (PID files live there). */
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly redisUrl: string;
  readonly kafkaBrokers: string;
  redis(): Redis;
  kafka(): KafkaClientSettings;
  down(): Promise<void>;
}

export function existingStack(dir: string): BenchStack {
  const env = parseEnvFile(readFileSync(path.join(dir, 'env'), 'utf8'));
  const clients: Redis[] = [];
  const required = (key: string): string => {
    const v = env[key];
    if (!v) throw new Error(`${key} missing from ${dir}/env`);
    return v;
  };
  return {
    dir,
    env,
    redisUrl: required('REDIS_URL'),
    kafkaBrokers: required('KAFKA_BROKERS'),
    redis() {
      const client = new Redis(required('REDIS_URL'), { maxRetriesPerRequest: 3 });
      clients.push(client);
      return client;
    },
    kafka: () => kafkaSettings(required('KAFKA_BROKERS')),
    down: async () => {
      for (const c of clients.splice(0)) c.disconnect();
    },
  };
}
