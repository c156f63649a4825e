// The real services the tests run against, as scripts/test (or the caller) gives them in the
// environment, and small helpers to reach them. No mocks: a missing service fails the test.

import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { KafkaClientSettings } from '../../src/sink/kafka-client';

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with \`npm test\`, which starts the real stack`);
  return v;
}

export const services = {
  get redisUrl(): string {
    return required('REDIS_URL');
  },
  get kafkaBrokers(): string {
    return required('KAFKA_BROKERS');
  },
  /** Kafka's jars (from the stack's env file), for its Java tools. */
  get kafkaClasspath(): string {
    return required('KAFKA_CLASSPATH');
  },
  /** The stack's data directory (from its env file): the broker's config and log segments. */
  get stackDataDir(): string {
    return required('STACK_DATA_DIR');
  },
};

/** A fresh name per test, so tests never see each other's keys or topics. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function redisClient(): Redis {
  return new Redis(services.redisUrl, { maxRetriesPerRequest: 3 });
}

/** How the tests reach the stack's Kafka: through the product's own client, with these settings. */
export function kafkaSettings(brokers = services.kafkaBrokers): KafkaClientSettings {
  return {
    kafkaBrokers: brokers.split(','),
    kafkaClientId: 'cdr-bridge-test',
    kafkaSsl: false,
    kafkaSslCaFile: undefined,
    kafkaSaslMechanism: undefined,
    kafkaSaslUsername: undefined,
    kafkaSaslPassword: undefined,
  };
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** LPUSHes payloads in the order given (so the first given is the oldest), in chunks. */
export async function pushAll(redis: Redis, key: string, payloads: readonly (string | Buffer)[], chunk = 1000): Promise<void> {
  for (let i = 0; i < payloads.length; i += chunk) {
    await redis.lpush(key, ...payloads.slice(i, i + chunk));
  }
}
