// The options every @platformatic/kafka client of the bridge starts from (brokers, client id,
// the security mapping, timeouts, retries), and the admin client made from them for topics,
// offsets and the readiness probe. No client here ever asks a broker to auto-create a topic.

import type { Admin, BaseOptions } from '@platformatic/kafka';
import { connectionSecurity, type KafkaSecuritySettings } from './kafka-security';
import { loadPlatformatic } from './platformatic';

/** What it takes to reach Kafka: the bridge's Config satisfies it, and so does a test's stack. */
export interface KafkaClientSettings extends KafkaSecuritySettings {
  kafkaBrokers: readonly string[];
  kafkaClientId: string;
}

/** What a caller may tune per client: how long a request waits, how often it is retried. */
export type ClientTuning = Pick<BaseOptions, 'connectTimeout' | 'timeout' | 'retries' | 'retryDelay'>;

/** Retries that wait 100, 200, 400 … ms, at most 3 s: a leader election is over in that time. */
export function backoffMs(_client: unknown, _operation: string, attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 3000);
}

export function clientOptions(settings: KafkaClientSettings, tuning: ClientTuning = {}): BaseOptions {
  return {
    clientId: settings.kafkaClientId,
    bootstrapBrokers: [...settings.kafkaBrokers],
    connectTimeout: 3000,
    timeout: 30000,
    retries: 5,
    retryDelay: backoffMs,
    // A metadata request names topics to read, never topics to make: a typo must not create one.
    autocreateTopics: false,
    ...tuning,
    ...connectionSecurity(settings),
  };
}

export async function openAdmin(settings: KafkaClientSettings, tuning: ClientTuning = {}): Promise<Admin> {
  const { Admin } = await loadPlatformatic();
  return new Admin(clientOptions(settings, tuning));
}

/** Runs `use` with a fresh admin client, closed after whatever happens. */
export async function withAdmin<T>(settings: KafkaClientSettings, use: (admin: Admin) => Promise<T>, tuning: ClientTuning = {}): Promise<T> {
  const admin = await openAdmin(settings, tuning);
  try {
    return await use(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}
