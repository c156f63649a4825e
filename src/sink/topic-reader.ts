// Reads a topic from a start point up to the end offsets it had when the read began — the
// basis of the bridge's read-back check, `cdr-bridge tail --from-beginning` and the tests'
// independent reader. Reads committed records only, in any codec the producer may write.

import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { registerKafkajsCodecs } from './kafkajs-codecs';

export interface ReadMessage {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
  timestamp: string;
}

export interface ReadOptions {
  /** Only the last N records of each partition; all of them when omitted. */
  lastPerPartition?: number;
  timeoutMs?: number;
}

export async function readToEnd(kafka: Kafka, topic: string, options: ReadOptions, onMessage: (m: ReadMessage) => void): Promise<void> {
  // Also for a client made elsewhere than kafkaClient() (the tests', the benchmark's).
  registerKafkajsCodecs();
  const admin = kafka.admin();
  await admin.connect();
  let offsets: { partition: number; offset: string; low: string }[];
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const starts = new Map<number, bigint>();
  const ends = new Map<number, bigint>();
  for (const p of offsets) {
    const high = BigInt(p.offset);
    const low = BigInt(p.low);
    if (high <= low) continue;
    const window = options.lastPerPartition === undefined ? undefined : BigInt(options.lastPerPartition);
    starts.set(p.partition, window !== undefined && high - window > low ? high - window : low);
    ends.set(p.partition, high);
  }
  if (ends.size === 0) return;

  // kafkajs has no assign(): a consumer in a throwaway group, seeking each partition, is how
  // a range is read. The group is deleted afterwards.
  const groupId = `cdr-bridge-reader-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, rebalanceTimeout: 10000, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  const timeoutMs = options.timeoutMs ?? 60000;
  await consumer.connect();
  try {
    let finish!: () => void;
    let fail!: (err: Error) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const timer = setTimeout(() => fail(new Error(`reading ${topic} to its end took over ${timeoutMs} ms`)), timeoutMs);
    // Start at "latest" so nothing is fetched before the seeks below move each partition to
    // where the read begins; seek() is only accepted once the group is joined.
    await consumer.subscribe({ topic, fromBeginning: false });
    const removeJoinListener = consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, from] of starts) consumer.seek({ topic, partition, offset: from.toString() });
    });
    // A consumer kafkajs will not restart (a batch it cannot decompress, say) has stopped for
    // good: fail now, with its reason, rather than at the timeout.
    const removeCrashListener = consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) fail(new Error(`reading ${topic} failed: ${payload.error.message}`));
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        if (end === undefined) return;
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= end) break;
          onMessage({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: (m.headers ?? {}) as Record<string, Buffer | undefined>, timestamp: m.timestamp });
        }
        // lastOffset() also counts records a fetch skips (control records), so a partition
        // ending in one is still seen through.
        if (!batch.isEmpty() && BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
        if (ends.size === 0) finish();
      },
    });
    try {
      await finished;
    } finally {
      clearTimeout(timer);
      removeJoinListener();
      removeCrashListener();
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin2 = kafka.admin();
    await admin2.connect().then(() => admin2.deleteGroups([groupId])).catch(() => undefined);
    await admin2.disconnect().catch(() => undefined);
  }
}

/** Records a topic holds now: the sum over its partitions of end offset minus start offset. */
export async function topicRecordCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(BigInt(p.high) - BigInt(p.low)), 0);
  } finally {
    await admin.disconnect();
  }
}
