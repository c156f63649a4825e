// Bench only: the sink's publish path on kafkajs's producer, as the product published until it
// moved to @platformatic/kafka (src/sink/producer.ts) — kept so every benchmark run shows what
// that move bought. Same records (key, framed Avro value, cdr-id header), same partitions
// (kafkajs's DefaultPartitioner is Java's murmur2), acks=-1, idempotent, one send at a time.
// Reading the topic back (recovery only) goes through the product's sink.

import { CompressionTypes, Partitioners, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../src/log';
import { CDR_ID_HEADER, KafkaSink, inRequests, kafkaClient, type OutMessage, type SinkSettings } from '../src/sink/kafka-sink';

// snappy and lz4 through the codecs kafkaClient() registers (src/sink/kafkajs-codecs.ts).
const KAFKAJS_COMPRESSION = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4 } as const;

export class KafkajsSink {
  private producer: Producer | undefined;
  private readonly readBack: KafkaSink;

  constructor(private readonly settings: SinkSettings, private readonly log: Logger) {
    this.readBack = new KafkaSink(settings, log);
  }

  get topic(): string {
    return this.settings.kafkaTopic;
  }

  async connect(): Promise<void> {
    await this.readBack.connect(); // creates the topic when missing, like the product
    // kafkajs's idempotent producer keeps correct sequence numbers only with one request in
    // flight (tulios/kafkajs#598).
    this.producer ??= kafkaClient(this.settings, this.log).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
  }

  async publish(messages: readonly OutMessage[]): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('KafkajsSink.publish before connect');
    const compression = KAFKAJS_COMPRESSION[this.settings.kafkaCompression];
    for (const request of inRequests(messages, this.settings.kafkaMaxRequestBytes)) {
      const chunk: Message[] = request.map((m) => ({ key: m.key, value: m.value, headers: { [CDR_ID_HEADER]: m.cdrId } }));
      await producer.send({ topic: this.topic, acks: -1, compression, messages: chunk });
    }
  }

  recentIds(perPartition: number): Promise<Set<string>> {
    return this.readBack.recentIds(perPartition);
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect();
    await this.readBack.disconnect();
  }

  async reset(): Promise<void> {
    await this.disconnect().catch(() => undefined);
  }
}
