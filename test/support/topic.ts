// The tests' independent reader: everything a topic holds, decoded with the schema file.

import type { KafkaClientSettings } from '../../src/sink/kafka-client';
import { decodeMessage } from '../../src/codec/framing';
import type { Cdr } from '../../src/codec/cdr';
import { readToEnd, topicRecordCount } from '../../src/sink/topic-reader';

export interface TopicRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  cdrIdHeader: string | undefined;
  value: Buffer;
  cdr: Cdr;
}

export async function readTopic(kafka: KafkaClientSettings, topic: string): Promise<TopicRecord[]> {
  const out: TopicRecord[] = [];
  await readToEnd(kafka, topic, { timeoutMs: 120000 }, (m) => {
    const value = m.value ?? Buffer.alloc(0);
    out.push({ partition: m.partition, offset: BigInt(m.offset), key: m.key?.toString() ?? null, cdrIdHeader: m.headers['cdr-id']?.toString(), value, cdr: decodeMessage(value) });
  });
  return out;
}

/** Waits until the topic holds at least `count` committed records, then returns all of them. */
export async function readTopicUntil(kafka: KafkaClientSettings, topic: string, count: number, timeoutMs = 120000): Promise<TopicRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The topic may not exist yet: the bridge creates it when it first connects. Offsets also
    // count transaction markers and aborted records, so they only say when a read is worth it.
    const total = await topicRecordCount(kafka, topic).catch(() => 0);
    if (total >= count) {
      const records = await readTopic(kafka, topic);
      if (records.length >= count) return records;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic} holds ${total} offsets, expected ${count} committed records`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
