// The Kafka side: one idempotent producer, acks from all in-sync replicas, and one send in
// flight at a time. Also reads back the topic's most recent records, so a batch whose fate
// is unknown (a crash or an error after sending) can be checked instead of sent twice.
// Sends go through @platformatic/kafka (./producer.ts); the topic check and the read-back
// through kafkajs, like every other reader in the product.

import { Kafka, type Admin, type KafkaConfig } from 'kafkajs';
import { PublishError } from '../errors';
import type { Logger } from '../log';
import { registerKafkajsCodecs } from './kafkajs-codecs';
import { kafkaLogCreator } from './kafka-logger';
import { kafkaSecurity, type KafkaSecuritySettings } from './kafka-security';
import { createProducer, describeProduceError, type KafkaCompression, type ProducerRecord, type RecordProducer } from './producer';
import { readToEnd } from './topic-reader';

export interface OutMessage {
  key: string | null;
  value: Buffer;
  /** The CDR's stable id; sent as header `cdr-id` so consumers and read-back can dedupe. */
  cdrId: string;
}

export interface SinkSettings extends KafkaSecuritySettings {
  kafkaBrokers: readonly string[];
  kafkaTopic: string;
  kafkaClientId: string;
  kafkaCompression: KafkaCompression;
  kafkaCreateTopic: boolean;
  kafkaTopicPartitions: number;
  kafkaMaxRequestBytes: number;
}

export const CDR_ID_HEADER = 'cdr-id';
const CDR_ID_HEADER_BYTES = Buffer.from(CDR_ID_HEADER);

/** A kafkajs client for the admin, the read-back, tail and the probe; it reads snappy and lz4 too. */
export function kafkaClient(settings: Pick<SinkSettings, 'kafkaBrokers' | 'kafkaClientId'> & KafkaSecuritySettings, log: Logger, extra: Partial<KafkaConfig> = {}): Kafka {
  registerKafkajsCodecs();
  return new Kafka({
    clientId: settings.kafkaClientId,
    brokers: [...settings.kafkaBrokers],
    ...kafkaSecurity(settings),
    logCreator: kafkaLogCreator(log),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 3000 },
    ...extra,
  });
}

/**
 * The messages in order, cut into runs of at most `maxBytes` (roughly: value, key and ~100 bytes
 * of record overhead each), one produce request per run; a single larger message goes alone.
 */
export function* inRequests(messages: readonly OutMessage[], maxBytes: number): Generator<OutMessage[]> {
  let run: OutMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = m.value.length + (m.key?.length ?? 0) + 100;
    if (run.length > 0 && bytes + size > maxBytes) {
      yield run;
      run = [];
      bytes = 0;
    }
    run.push(m);
    bytes += size;
  }
  if (run.length > 0) yield run;
}

async function send(producer: RecordProducer, messages: (ProducerRecord & { topic: string })[]): Promise<void> {
  try {
    await producer.send({ messages });
  } catch (err) {
    throw new PublishError(describeProduceError(err), { cause: err });
  }
}

export class KafkaSink {
  private readonly kafka: Kafka;
  private producer: RecordProducer | undefined;

  constructor(
    private readonly settings: SinkSettings,
    private readonly log: Logger,
  ) {
    this.kafka = kafkaClient(settings, log);
  }

  get topic(): string {
    return this.settings.kafkaTopic;
  }

  /**
   * Makes sure the topic exists and readies a producer (which connects on its first send).
   * Throws when the broker is unreachable.
   */
  async connect(): Promise<void> {
    await this.ensureTopic();
    this.producer ??= await createProducer(this.settings, this.log);
  }

  private async ensureTopic(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (topics.includes(this.topic)) return;
      if (!this.settings.kafkaCreateTopic) {
        throw new Error(`topic "${this.topic}" does not exist and KAFKA_CREATE_TOPIC is false`);
      }
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: this.topic, numPartitions: this.settings.kafkaTopicPartitions }] });
      this.log.info({ topic: this.topic, partitions: this.settings.kafkaTopicPartitions }, 'created topic');
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Publishes the messages in order and resolves once the broker has confirmed all of them
   * (acks=-1). Messages above the request size limit go in further sends, one after another.
   */
  async publish(messages: readonly OutMessage[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('KafkaSink.publish before connect');
    const topic = this.topic;
    for (const request of inRequests(messages, this.settings.kafkaMaxRequestBytes)) {
      await send(
        producer,
        request.map((m) => ({ topic, key: m.key === null ? undefined : Buffer.from(m.key), value: m.value, headers: new Map([[CDR_ID_HEADER_BYTES, Buffer.from(m.cdrId, 'latin1')]]) })),
      );
    }
  }

  /**
   * The `cdr-id` headers of the last `perPartition` records of every partition: what the
   * broker already holds of a batch whose outcome the bridge could not see.
   */
  async recentIds(perPartition: number): Promise<Set<string>> {
    const ids = new Set<string>();
    await readToEnd(this.kafka, this.topic, { lastPerPartition: perPartition }, (m) => {
      const id = m.headers[CDR_ID_HEADER];
      if (id !== undefined) ids.add(id.toString());
    });
    return ids;
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    // force: a send still waiting (the bridge gave up on it) is failed, not awaited.
    await producer?.close(true);
  }

  /** Drops the producer (after an error of unknown outcome) so the next connect starts clean. */
  async reset(): Promise<void> {
    await this.disconnect().catch(() => undefined);
  }

  admin(): Admin {
    return this.kafka.admin();
  }
}

