// The publish path: @platformatic/kafka's idempotent producer, acks from all in-sync replicas.
// Chosen over kafkajs for the producer only (admin, read-back, tail and the readiness probe
// stay on kafkajs): on this product's records it costs about half the CPU per CDR (the drain
// benchmark, bench/results), it is maintained (kafkajs has had no release since 2023), and it
// survives the chaos run's broker restarts with nothing lost or doubled. An ES module, loaded
// by ./platformatic.ts.

import { isIP } from 'node:net';
import type { Producer as PltProducer } from '@platformatic/kafka';
import type { Logger } from '../log';
import { saslLogin, sslCa, type KafkaSecuritySettings } from './kafka-security';
import { loadPlatformatic } from './platformatic';

export interface ProducerSettings extends KafkaSecuritySettings {
  kafkaBrokers: readonly string[];
  kafkaClientId: string;
  kafkaCompression: KafkaCompression;
}

/**
 * Codecs of produced batches. snappy and lz4 come from the library's bundled WebAssembly;
 * kafkajs reads them through ./kafkajs-codecs.ts. No zstd: the library needs Node >= 22.15's
 * zlib for it, and kafkajs could not read it back.
 */
export type KafkaCompression = 'none' | 'gzip' | 'snappy' | 'lz4';

/** One record as the bridge sends it: key, framed Avro value, the cdr-id header. */
export interface ProducerRecord {
  key: Buffer | undefined;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
}

export type RecordProducer = PltProducer<Buffer, Buffer, Buffer, Buffer>;

/**
 * A producer that sends nothing until asked. Idempotent, so a request the library retries
 * after a timeout is written once; a fresh producer (a new producer id) after every failure
 * the bridge sees, so sequence numbers never outlive a send whose fate was unknown.
 * Partitions as Java and kafkajs do (murmur2 of the key), so the topic keeps its key layout.
 */
export async function createProducer(settings: ProducerSettings, log: Logger): Promise<RecordProducer> {
  const kafka = await loadPlatformatic();
  const producer = new kafka.Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: settings.kafkaClientId,
    bootstrapBrokers: [...settings.kafkaBrokers],
    idempotent: true,
    acks: kafka.ProduceAcks.ALL,
    compression: settings.kafkaCompression,
    partitioner: kafka.compatibilityPartitioner,
    autocreateTopics: false,
    // A lost broker surfaces as a failed send within seconds; the bridge then holds the batch
    // and retries with its own backoff (and a read-back), so the library's retries stay few.
    connectTimeout: 3000,
    timeout: 30000,
    retries: 2,
    retryDelay: 250,
    ...platformaticSecurity(settings),
  });
  logConnections(producer, log.child({ component: 'producer' }));
  return producer;
}

interface BrokerEvent {
  broker?: { host?: string; port?: number };
}

/**
 * The producer's connection life at debug level, as kafkajs's own lines are (the bridge logs
 * outages itself, once). Named fields only: the SASL events carry the authentication bytes,
 * which hold the password, and are never logged.
 */
function logConnections(producer: RecordProducer, log: Logger): void {
  const broker = (e: BrokerEvent | undefined): string => `${e?.broker?.host ?? '?'}:${e?.broker?.port ?? '?'}`;
  producer.on('client:broker:connect', (e: BrokerEvent) => log.debug({ broker: broker(e) }, 'kafka producer connected'));
  producer.on('client:broker:disconnect', (e: BrokerEvent) => log.debug({ broker: broker(e) }, 'kafka producer disconnected'));
  producer.on('client:broker:failed', (e: BrokerEvent) => log.debug({ broker: broker(e) }, 'kafka producer could not connect'));
  producer.on('client:performWithRetry:retry', (operation: string, attempt: number) => log.debug({ operation, attempt }, 'kafka producer retrying'));
}

interface Security {
  tls?: { ca?: Buffer[] };
  tlsServerName?: boolean;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
}

export function platformaticSecurity(settings: KafkaSecuritySettings & { kafkaBrokers: readonly string[] }): Security {
  const out: Security = {};
  if (settings.kafkaSsl) {
    const ca = sslCa(settings);
    out.tls = ca ? { ca } : {};
    // SNI with the broker's host name, as kafkajs and the Java client send it (managed Kafka
    // routes on it); never for an IP address, which TLS does not allow as a server name.
    out.tlsServerName = settings.kafkaBrokers.every((b) => isIP(b.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')) === 0);
  }
  const login = saslLogin(settings);
  if (login) out.sasl = { ...login, mechanism: SASL_NAMES[login.mechanism] };
  return out;
}

const SASL_NAMES = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/**
 * One line for a failed send. The library wraps the cause ("Producing messages failed." around
 * "Connection to 127.0.0.1:9092 failed." around ECONNREFUSED); the operator needs the innermost.
 */
export function describeProduceError(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e instanceof Error && !seen.has(e) && parts.length < 6) {
    seen.add(e);
    const message = e.message.replace(/\.$/, '');
    if (message && !parts.includes(message)) parts.push(message);
    const inner: unknown = (e as { errors?: unknown[] }).errors?.[0] ?? (e as { cause?: unknown }).cause;
    e = inner;
  }
  return parts.join(': ') || String(err);
}
