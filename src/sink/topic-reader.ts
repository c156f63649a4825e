// Reads a topic's committed records, partition by partition, with plain fetch requests: no
// consumer group (nothing to join, delete or authorise) and no metadata request that could
// auto-create the topic. The basis of `cdr-bridge tail`, the benchmark's and the tests'
// independent reader. Every codec Kafka writes (gzip, snappy raw or xerial-framed, lz4, zstd)
// is the library's own.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from '@platformatic/kafka';
import { UnknownTopicError } from '../errors';
import { clientOptions, type KafkaClientSettings } from './kafka-client';
import { innermostMessage } from './kafka-error';
import { loadPlatformatic, type Platformatic } from './platformatic';
import { committedBatches, recordMessages, type ReadMessage } from './committed-records';
import type { PartitionOffsets } from './topic-admin';

export type { ReadMessage } from './committed-records';

/** Takes one record; the next of its partition waits until a returned promise settles. */
export type OnMessage = (m: ReadMessage) => unknown;

export interface ReadOptions {
  /** Only the last N records of each partition; all of them when omitted. */
  lastPerPartition?: number;
  timeoutMs?: number;
}

export interface FollowOptions {
  /** Where each partition's read begins. */
  from: ReadonlyMap<number, bigint>;
  /** Each partition's read ends before this offset; without it, the read follows the topic. */
  until?: ReadonlyMap<number, bigint>;
  /** Ends the read (between two fetches). */
  signal?: AbortSignal;
  /** The read fails when it has not finished after this long. */
  timeoutMs?: number;
  /** A broker that fails fetches (leader moving, broker restarting) is retried this long. */
  retryForMs?: number;
}

/** How long a fetch waits at the broker for new records: the latency of a following read. */
const FETCH_WAIT_MS = 250;
const PARTITION_MAX_BYTES = 1 << 20;

export class TopicReader {
  private constructor(
    private readonly kafka: Platformatic,
    private readonly consumer: Consumer,
    readonly topic: string,
    private leaders: number[],
    private topicId: string,
  ) {}

  /** Connects; an UnknownTopicError when the topic does not exist (it is never created). */
  static async open(settings: KafkaClientSettings, topic: string): Promise<TopicReader> {
    const kafka = await loadPlatformatic();
    const consumer = new kafka.Consumer({
      ...clientOptions(settings, { retries: 0 }),
      // Required by the library; no group is ever joined.
      groupId: `${settings.kafkaClientId}-reader`,
      isolationLevel: kafka.FetchIsolationLevels.READ_COMMITTED,
    });
    // Fetches then map the topic's id to its name, as old brokers' fetch versions need.
    consumer.topics.track(topic);
    const reader = new TopicReader(kafka, consumer, topic, [], '');
    try {
      await reader.refresh();
    } catch (err) {
      await reader.close();
      throw err;
    }
    return reader;
  }

  get partitions(): number {
    return this.leaders.length;
  }

  /** Each partition's start offset and its end as a read_committed reader sees it. */
  async offsets(): Promise<PartitionOffsets[]> {
    const { ListOffsetTimestamps, FetchIsolationLevels } = this.kafka;
    const ask = async (timestamp: bigint): Promise<bigint[]> =>
      (await this.consumer.listOffsets({ topics: [this.topic], timestamp, isolationLevel: FetchIsolationLevels.READ_COMMITTED })).get(this.topic) ?? [];
    const [low, high] = await Promise.all([ask(ListOffsetTimestamps.EARLIEST), ask(ListOffsetTimestamps.LATEST)]);
    return this.leaders.map((_, partition) => ({ partition, low: low[partition] ?? 0n, high: high[partition] ?? 0n }));
  }

  /**
   * Hands each committed record to `onMessage`, in offset order within a partition, from
   * `from` up to `until` (or until the signal, when following). Aborted transactions and
   * transaction markers are skipped here, as Kafka's Java consumer skips them.
   */
  async read(options: FollowOptions, onMessage: OnMessage): Promise<void> {
    const positions = new Map(options.from);
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const retryForMs = options.retryForMs ?? 30_000;
    let failingSince: number | undefined;
    for (let backoff = 100; ; ) {
      if (options.until) for (const [p, at] of positions) if (at >= (options.until.get(p) ?? 0n)) positions.delete(p);
      if (positions.size === 0 || options.signal?.aborted) return;
      if (Date.now() > deadline) throw new Error(`reading ${this.topic} took over ${options.timeoutMs} ms (${[...positions].map(([p, at]) => `partition ${p} at ${at}`).join(', ')} of ${[...(options.until ?? [])].map(([p, at]) => `${p}: ${at}`).join(', ')})`);
      try {
        // Settled, all of them, before the next round: a fetch still running then would hand
        // its partitions' records on a second time.
        const fetches = await Promise.allSettled([...this.byLeader(positions)].map(([node, partitions]) => this.fetchFrom(node, partitions, positions, options.until, onMessage)));
        const failed = fetches.find((f) => f.status === 'rejected');
        if (failed) throw failed.reason;
        failingSince = undefined;
        backoff = 100;
      } catch (err) {
        const now = Date.now();
        failingSince ??= now;
        if (!this.retriable(err) || now - failingSince > retryForMs) throw new Error(`reading ${this.topic} failed: ${innermostMessage(err)}`, { cause: err });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
        await this.refresh().catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    await this.consumer.close(true).catch(() => undefined);
  }

  /** The topic's partition leaders, asked anew; a topic the brokers do not know is an UnknownTopicError. */
  private async refresh(): Promise<void> {
    let metadata;
    try {
      metadata = await this.consumer.metadata({ topics: [this.topic], forceUpdate: true, autocreateTopics: false });
    } catch (err) {
      if (this.kafka.findErrorBy(err as Error, 'apiId', 'UNKNOWN_TOPIC_OR_PARTITION') || /^Unknown topic /.test((err as Error).message)) throw new UnknownTopicError(this.topic);
      throw err;
    }
    const meta = metadata.topics.get(this.topic);
    if (!meta) throw new UnknownTopicError(this.topic);
    this.topicId = meta.id;
    this.leaders = meta.partitions.map((p) => p.leader);
  }

  private byLeader(positions: ReadonlyMap<number, bigint>): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const partition of positions.keys()) {
      const leader = this.leaders[partition] ?? -1;
      out.set(leader, [...(out.get(leader) ?? []), partition]);
    }
    return out;
  }

  private async fetchFrom(node: number, partitions: number[], positions: Map<number, bigint>, until: ReadonlyMap<number, bigint> | undefined, onMessage: OnMessage): Promise<void> {
    if (node < 0) throw new this.kafka.NetworkError(`partitions ${partitions.join(', ')} of ${this.topic} have no leader`);
    const response = await this.consumer.fetch({
      node,
      topics: [{ topicId: this.topicId, partitions: partitions.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: positions.get(partition)!, lastFetchedEpoch: -1, partitionMaxBytes: PARTITION_MAX_BYTES })) }],
      isolationLevel: this.kafka.FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: FETCH_WAIT_MS,
      minBytes: 1,
      maxBytes: PARTITION_MAX_BYTES * partitions.length,
    });
    for (const topic of response.responses) {
      for (const p of topic.partitions) {
        const from = positions.get(p.partitionIndex);
        if (from === undefined) continue;
        const end = until?.get(p.partitionIndex);
        let next = from;
        const messages: ReadMessage[] = [];
        for (const batch of committedBatches(p)) {
          next = batch.nextOffset > next ? batch.nextOffset : next;
          if (batch.data) recordMessages(p.partitionIndex, batch.data, from, end, (m) => messages.push(m));
        }
        for (const m of messages) await onMessage(m);
        positions.set(p.partitionIndex, next);
      }
    }
  }

  /** A broker's passing trouble (moved leader, restart, timeout), worth asking again. */
  private retriable(err: unknown): boolean {
    const { GenericError, findErrorBy } = this.kafka;
    if (!(err instanceof Error) || !GenericError.isGenericError(err)) return false;
    if (findErrorBy(err, 'apiId', 'OFFSET_OUT_OF_RANGE')) return false;
    return findErrorBy(err, 'canRetry', false) === null;
  }
}

/** Reads a topic from a start point up to the end offsets it had when the read began. */
export async function readToEnd(settings: KafkaClientSettings, topic: string, options: ReadOptions, onMessage: OnMessage): Promise<void> {
  const reader = await TopicReader.open(settings, topic);
  try {
    const from = new Map<number, bigint>();
    const until = new Map<number, bigint>();
    for (const { partition, low, high } of await reader.offsets()) {
      if (high <= low) continue;
      const window = options.lastPerPartition === undefined ? undefined : BigInt(options.lastPerPartition);
      from.set(partition, window !== undefined && high - window > low ? high - window : low);
      until.set(partition, high);
    }
    await reader.read({ from, until, timeoutMs: options.timeoutMs ?? 60_000 }, onMessage);
  } finally {
    await reader.close();
  }
}

/** Records a topic holds now: the sum over its partitions of end offset minus start offset. */
export async function topicRecordCount(settings: KafkaClientSettings, topic: string): Promise<number> {
  const reader = await TopicReader.open(settings, topic);
  try {
    return (await reader.offsets()).reduce((sum, p) => sum + Number(p.high - p.low), 0);
  } finally {
    await reader.close();
  }
}
