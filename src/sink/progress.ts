// The committed position of a source: which batch (processing list id + sequence) the last
// committed transaction held. Written in that same transaction, as one small record keyed by
// the transactional id, to a compacted progress topic (Kafka Connect's exactly-once sources keep
// their offsets the same way, KIP-618). A new leader reads it after fencing every earlier
// producer, and so learns exactly which in-flight batches Kafka has — whatever else was written
// to the CDR topic since, with no consumer group and no read-back window.

import type { Consumer as PltConsumer } from '@platformatic/kafka';
import type { Logger } from '../log';
import { loadPlatformatic } from './platformatic';
import { connectionSecurity } from './kafka-security';
import type { ProducerSettings } from './producer';

export interface Progress {
  listId: string;
  seq: number;
}

export interface ProgressRecord {
  key: Buffer;
  value: Buffer;
}

/** The record a transaction commits with its batches. JSON: tiny, one per transaction, readable. */
export function progressRecord(transactionalId: string, progress: Progress, source: string): ProgressRecord {
  return {
    key: Buffer.from(transactionalId),
    value: Buffer.from(JSON.stringify({ list: progress.listId, seq: progress.seq, source, at: new Date().toISOString() })),
  };
}

function parseProgress(value: Buffer | null): Progress | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value.toString('utf8')) as { list?: unknown; seq?: unknown };
    if (typeof v.list === 'string' && typeof v.seq === 'number' && Number.isSafeInteger(v.seq)) return { listId: v.list, seq: v.seq };
  } catch {
    // not ours: ignored
  }
  return undefined;
}

const IS_TRANSACTIONAL = 0x10;
const IS_CONTROL = 0x20;
/** Offsets read back per step; doubled until the key is found or the log's start is reached. */
const FIRST_WINDOW = 256n;

/**
 * The last committed progress of `transactionalId`, or undefined when it never committed one.
 * Call only after this transactional id's InitProducerId succeeded: every earlier transaction of
 * the id is then complete (its markers replicated, below the high watermark), so reading up to
 * the high watermark, and applying the commit/abort markers here, sees its final outcome — even
 * while other writers of the topic hold transactions open (which read_committed would wait out).
 */
export async function readProgress(settings: ProducerSettings & { kafkaProgressTopic: string }, log: Logger, transactionalId: string): Promise<Progress | undefined> {
  const { Consumer } = await loadPlatformatic();
  // A consumer object for its fetch and list-offsets requests only: it never joins its group.
  const consumer: PltConsumer = new Consumer({
    clientId: settings.kafkaClientId,
    groupId: `${settings.kafkaClientId}-progress-reader`,
    bootstrapBrokers: [...settings.kafkaBrokers],
    connectTimeout: 3000,
    timeout: 15000,
    retries: 2,
    ...connectionSecurity(settings),
  });
  try {
    const topic = settings.kafkaProgressTopic;
    const key = Buffer.from(transactionalId);
    const metadata = await consumer.metadata({ topics: [topic] });
    const meta = metadata.topics.get(topic);
    const leader = meta?.partitions[0]?.leader;
    if (!meta || leader === undefined) throw new Error(`progress topic "${topic}" has no partition leader`);
    const [high = 0n] = (await consumer.listOffsets({ topics: [topic], isolationLevel: 0 })).get(topic) ?? [];
    const [low = 0n] = (await consumer.listOffsets({ topics: [topic], timestamp: -2n })).get(topic) ?? [];
    for (let window = FIRST_WINDOW; ; window *= 2n) {
      const from = high - window > low ? high - window : low;
      const found = await lastCommitted(consumer, leader, meta.id, from, high, key);
      if (found !== undefined || from === low) {
        log.debug({ topic, from: String(from), to: String(high), found }, 'read the committed progress');
        return found;
      }
    }
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
}

/** Scans [from, to) in offset order, applying each transaction's outcome; the last committed value of `key`. */
async function lastCommitted(consumer: PltConsumer, node: number, topicId: string, from: bigint, to: bigint, key: Buffer): Promise<Progress | undefined> {
  let committed: Seen | undefined;
  const open = new Map<bigint, Seen[]>();
  for (let offset = from; offset < to; ) {
    const response = await consumer.fetch({
      node,
      topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }],
      isolationLevel: 0,
      maxWaitTime: 10,
      minBytes: 1,
      maxBytes: 1 << 20,
    });
    const partition = response.responses[0]?.partitions[0];
    if (!partition) throw new Error('progress topic: empty fetch response');
    if (partition.errorCode !== 0) throw new Error(`progress topic: fetch failed with error code ${partition.errorCode}`);
    const batches = partition.records ?? [];
    if (batches.length === 0) break;
    for (const batch of batches) {
      const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      if (next <= offset) continue;
      offset = next;
      if (batch.attributes & IS_CONTROL) {
        // A marker closes the producer's open transaction: type 1 commits it, 0 aborts it.
        const type = batch.records[0]?.key?.readInt16BE(2);
        const values = open.get(batch.producerId);
        open.delete(batch.producerId);
        if (type === 1 && values && values.length > 0) committed = later(committed, values[values.length - 1]);
        continue;
      }
      for (const record of batch.records) {
        if (batch.firstOffset + BigInt(record.offsetDelta) >= to) break;
        if (!record.key?.equals(key)) continue;
        const progress = parseProgress(record.value);
        if (!progress) continue;
        const seen = { progress, offset: batch.firstOffset + BigInt(record.offsetDelta) };
        if (batch.attributes & IS_TRANSACTIONAL) {
          const values = open.get(batch.producerId) ?? [];
          values.push(seen);
          open.set(batch.producerId, values);
        } else {
          committed = later(committed, seen);
        }
      }
    }
  }
  // Records of ours with no marker in sight: the log cleaner removes a commit marker only after
  // the transaction's data, and aborted data before its marker, so what is left was committed.
  for (const values of open.values()) if (values.length > 0) committed = later(committed, values[values.length - 1]);
  return committed?.progress;
}

interface Seen {
  progress: Progress;
  offset: bigint;
}

function later(a: Seen | undefined, b: Seen | undefined): Seen | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.offset > a.offset ? b : a;
}
