// The publish path: @platformatic/kafka's transactional producer, acks from all in-sync replicas.
// Chosen over the product's first client (README, "Kafka client"): on this product's records
// it costs about half the CPU per CDR (the drain benchmark, bench/results), it is maintained,
// and it survives the chaos run's broker restarts with nothing lost or doubled. An ES module,
// loaded by ./platformatic.ts.

import type { Producer as PltProducer } from '@platformatic/kafka';
import type { Logger } from '../log';
import { connectionSecurity, type KafkaSecuritySettings } from './kafka-security';
import { javaCompatiblePartitioner } from './murmur2';
import { loadPlatformatic } from './platformatic';

export interface ProducerSettings extends KafkaSecuritySettings {
  kafkaBrokers: readonly string[];
  kafkaClientId: string;
  kafkaCompression: KafkaCompression;
}

/**
 * Codecs of produced batches. snappy and lz4 come from the library's bundled WebAssembly. No
 * zstd: some downstream clients still in use (Node's older ones among them) cannot read it.
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
 * A transactional producer with a fixed transactional id: its InitProducerId (at the first
 * transaction) bumps the id's epoch, which fences every earlier producer with the id — a zombie
 * leader's sends and commits then fail — and aborts or completes whatever transaction an earlier
 * one left open. Made anew after any failure of unknown outcome: the new epoch discards the old
 * sequence numbers, so a retry can never be taken by the broker for a duplicate of an aborted send.
 * Partitions as Java's client does (murmur2 of the key), so the topic keeps its key layout —
 * with ./murmur2.ts, the same hash in integer arithmetic instead of the library's BigInt port.
 */
export async function createProducer(settings: ProducerSettings, log: Logger, transactionalId: string): Promise<RecordProducer> {
  const kafka = await loadPlatformatic();
  const producer = new kafka.Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: settings.kafkaClientId,
    bootstrapBrokers: [...settings.kafkaBrokers],
    idempotent: true,
    transactionalId,
    // A new producer must ask for a fresh id/epoch (-1/-1); the library's default of 0/0 is taken
    // by the broker for an epoch bump of producer 0 and refused, so a restarted bridge could
    // never publish again (shared/notes/kafka-transactions.md).
    producerId: -1n,
    producerEpoch: -1,
    acks: kafka.ProduceAcks.ALL,
    compression: settings.kafkaCompression,
    partitioner: javaCompatiblePartitioner,
    autocreateTopics: false,
    // The request timeout, and also the transaction timeout sent with InitProducerId: a
    // transaction a dead leader left open is aborted by the broker after this long at the latest.
    connectTimeout: 3000,
    timeout: 30000,
    // Retries mostly cover the coordinator answering CONCURRENT_TRANSACTIONS to the next
    // transaction's AddPartitionsToTxn while the last one's markers are written — a millisecond
    // or two here, once per transaction under a backlog. A fixed 20 ms wait there left the
    // producer idle a fifth of the drain; doubling from 1 ms (1, 2, 4 … 50 ms) waits about as
    // long as the markers take, and 25 retries still span a second for a leader election. A
    // broker that is really gone surfaces then and the bridge backs off itself.
    retries: RETRIES,
    retryDelay: retryDelayMs,
    ...connectionSecurity(settings),
  });
  logConnections(producer, log.child({ component: 'producer' }));
  return producer;
}

const RETRIES = 25;

/** The wait before retry `attempt` (1-based) of a Kafka request: 1, 2, 4 … ms, at most 50. */
export function retryDelayMs(_client: unknown, _operation: string, attempt: number): number {
  return Math.min(2 ** Math.max(0, attempt - 1), 50);
}

interface BrokerEvent {
  broker?: { host?: string; port?: number };
}

/**
 * The producer's connection life at debug level (the bridge logs
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
