// Bench only: the sink's publish path on @platformatic/kafka instead of kafkajs, to measure
// whether the Kafka client is the bridge's wall (the CPU profile says kafkajs's record encoding
// is most of the bridge's time). Same records (key, framed Avro value, cdr-id header), same
// partitions (Java-compatible murmur2 of the key, as kafkajs's DefaultPartitioner), acks=-1,
// idempotent, one send at a time. Reading the topic back (recovery only) stays on kafkajs.
// Not the product: the bridge ships with kafkajs.

import type { Producer } from '@platformatic/kafka';
import type { Logger } from '../src/log';
import { CDR_ID_HEADER, KafkaSink, type OutMessage, type SinkSettings } from '../src/sink/kafka-sink';

const HEADER_KEY = Buffer.from(CDR_ID_HEADER);

export class PlatformaticSink {
  private producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private readonly readBack: KafkaSink;

  constructor(private readonly settings: SinkSettings, log: Logger) {
    this.readBack = new KafkaSink(settings, log);
  }

  get topic(): string {
    return this.settings.kafkaTopic;
  }

  async connect(): Promise<void> {
    await this.readBack.connect(); // creates the topic when missing, like the product
    if (this.producer) return;
    // An ES module: loaded with import(), which this CommonJS build keeps as is.
    const kafka = await import('@platformatic/kafka');
    this.producer = new kafka.Producer({
      clientId: this.settings.kafkaClientId,
      bootstrapBrokers: [...this.settings.kafkaBrokers],
      idempotent: true,
      acks: kafka.ProduceAcks.ALL,
      partitioner: kafka.compatibilityPartitioner,
      autocreateTopics: false,
    });
  }

  async publish(messages: readonly OutMessage[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('PlatformaticSink.publish before connect');
    const topic = this.topic;
    // Strings become bytes here, as kafkajs does inside its own encoder.
    const out = messages.map((m) => ({
      topic,
      key: m.key === null ? undefined : Buffer.from(m.key),
      value: m.value,
      headers: new Map([[HEADER_KEY, Buffer.from(m.cdrId)]]),
    }));
    await producer.send({ messages: out });
  }

  recentIds(perPartition: number): Promise<Set<string>> {
    return this.readBack.recentIds(perPartition);
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close();
    await this.readBack.disconnect();
  }

  async reset(): Promise<void> {
    await this.disconnect().catch(() => undefined);
  }
}
