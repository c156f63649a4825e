// A plain idempotent producer (no transactions) for tests that write a topic beside the bridge:
// another writer, a record the bridge would never write. The product's client, with the
// producer id/epoch fix every producer of the product needs (shared notes, kafka-transactions).

import type { Producer } from '@platformatic/kafka';
import { clientOptions, type ClientTuning, type KafkaClientSettings } from '../../src/sink/kafka-client';
import { loadPlatformatic } from '../../src/sink/platformatic';

export interface PlainRecord {
  key: string;
  value: Buffer | string;
  partition?: number;
  headers?: Record<string, string>;
}

export class PlainProducer {
  private constructor(private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>) {}

  static async open(settings: KafkaClientSettings, tuning: ClientTuning = {}): Promise<PlainProducer> {
    const kafka = await loadPlatformatic();
    return new PlainProducer(new kafka.Producer<Buffer, Buffer, Buffer, Buffer>({
      ...clientOptions(settings, tuning),
      idempotent: true,
      producerId: -1n,
      producerEpoch: -1,
      acks: kafka.ProduceAcks.ALL,
    }));
  }

  /** Resolves once every in-sync replica has the records (acks=all). */
  async send(topic: string, records: readonly PlainRecord[]): Promise<void> {
    await this.producer.send({
      messages: records.map((r) => ({
        topic,
        key: Buffer.from(r.key),
        value: Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value),
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
        headers: new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer.close(true).catch(() => undefined);
  }
}
