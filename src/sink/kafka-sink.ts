// The Kafka side: one transactional producer with a fixed transactional id, acks from all
// in-sync replicas, one send in flight at a time. Each transaction carries one or more batches
// and, as its last record, the source's committed position (./progress.ts), so what Kafka holds
// and what it says it holds can never disagree. Sends (./producer.ts) and topic administration
// (./topics.ts) both go through @platformatic/kafka, the product's one Kafka client.

import { FencedError, PublishError } from '../errors';
import type { Logger } from '../log';
import { withAdmin } from './kafka-client';
import type { KafkaSecuritySettings } from './kafka-security';
import { createProducer, describeProduceError, type KafkaCompression, type RecordProducer } from './producer';
import { loadPlatformatic } from './platformatic';
import { progressRecord, readProgress, type Progress } from './progress';
import { ensureTopics, type Durability } from './topics';

export interface OutMessage {
  key: string | null;
  value: Buffer;
  /** The CDR's stable id; sent as header `cdr-id` so consumers can dedupe. */
  cdrId: string;
  /** `key` and `cdrId` as the bytes sent (the codec gives views into `value`: no copy per record). */
  keyBytes: Buffer | null;
  cdrIdBytes: Buffer;
}

export interface SinkSettings extends KafkaSecuritySettings {
  kafkaBrokers: readonly string[];
  kafkaTopic: string;
  kafkaClientId: string;
  kafkaCompression: KafkaCompression;
  kafkaCreateTopic: boolean;
  kafkaTopicPartitions: number;
  kafkaTopicReplicationFactor: number | undefined;
  kafkaMaxRequestBytes: number;
  kafkaTransactionalId: string;
  kafkaProgressTopic: string;
  sourceKey: string;
}

export const CDR_ID_HEADER = 'cdr-id';
const CDR_ID_HEADER_BYTES = Buffer.from(CDR_ID_HEADER);

/**
 * The messages in order, cut into runs of at most `maxBytes` (roughly: value, key and ~100 bytes
 * of record overhead each), one produce request per run; a single larger message goes alone.
 */
export function* inRequests(messages: readonly OutMessage[], maxBytes: number): Generator<OutMessage[]> {
  let run: OutMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = m.value.length + (m.keyBytes?.length ?? 0) + 100;
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

type Transaction = Awaited<ReturnType<RecordProducer['beginTransaction']>>;
type ProducedRecord = { topic: string; partition?: number; key: Buffer | undefined; value: Buffer; headers?: Map<Buffer, Buffer> };

/** Kafka's answers that mean another producer with our transactional id has taken over. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

function isFenced(err: unknown, seen = new Set<unknown>()): boolean {
  if (!(err instanceof Error) || seen.has(err)) return false;
  seen.add(err);
  const e = err as Error & { apiId?: string; errors?: unknown[]; cause?: unknown };
  if (e.apiId !== undefined && FENCED.has(e.apiId)) return true;
  return (e.errors ?? []).some((x) => isFenced(x, seen)) || isFenced(e.cause, seen);
}

/** A failed Kafka call as the bridge sees it: fenced (no longer the leader), or of unknown outcome. */
function failure(err: unknown, what: string): Error {
  if (isFenced(err)) return new FencedError(`${what}: another producer with this transactional id has taken over (${describeProduceError(err)})`);
  return new PublishError(`${what}: ${describeProduceError(err)}`, { cause: err });
}

export class KafkaSink {
  private producer: RecordProducer | undefined;
  private transaction: Transaction | undefined;
  /** The position the open transaction's last send carried, if it did. */
  private progressSent: Progress | undefined;
  private topicsReady: Durability | undefined;

  constructor(
    private readonly settings: SinkSettings,
    private readonly log: Logger,
  ) {}

  get topic(): string {
    return this.settings.kafkaTopic;
  }

  /**
   * Makes sure the CDR topic and the progress topic exist (created durable when the bridge
   * creates them), once per process; returns how durable the CDR topic is. Throws when the
   * broker is unreachable.
   */
  async connect(): Promise<Durability> {
    // Loading the producer's library takes seconds of blocked event loop on a busy host: do it
    // now, before any lease is held, not when a new leader initialises (its lease would lapse).
    await loadPlatformatic();
    this.topicsReady ??= await withAdmin(this.settings, (admin) => ensureTopics(admin, this.settings, this.log));
    return this.topicsReady;
  }

  /**
   * A new producer, initialised: fences every earlier producer with the transactional id (a
   * zombie leader's next send or commit fails) and closes whatever transaction one left open.
   * Only a lease holder calls this, so two live bridges never fence each other back and forth.
   */
  async init(mayInitialise: () => void = () => undefined): Promise<void> {
    await this.reset();
    const producer = await createProducer(this.settings, this.log, this.settings.kafkaTransactionalId);
    this.producer = producer;
    try {
      // Reach the brokers first, then ask once more whether this bridge may fence the id: an
      // InitProducerId left waiting through an outage would otherwise go out once Kafka is back,
      // whoever holds the lease by then, and fence the producer of the one that does.
      await producer.metadata({ topics: [this.settings.kafkaTopic], autocreateTopics: false });
      mayInitialise();
      // The library runs InitProducerId when a transaction begins; cancel() only forgets the empty
      // transaction locally (nothing reached a partition), leaving the producer initialised.
      const empty = await producer.beginTransaction();
      await empty.cancel();
    } catch (err) {
      throw failure(err, 'initialising the transactional producer failed');
    }
  }

  /** The committed position of this source (after init(): then it is final). */
  async committedProgress(): Promise<Progress | undefined> {
    return readProgress(this.settings, this.log, this.settings.kafkaTransactionalId);
  }

  async begin(): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('KafkaSink.begin before init');
    try {
      this.transaction = await producer.beginTransaction();
      this.progressSent = undefined;
    } catch (err) {
      throw failure(err, 'beginning a transaction failed');
    }
  }

  /**
   * Sends the messages in order inside the open transaction; resolves once the partition leaders
   * have them from all in-sync replicas (still invisible to read_committed readers until the
   * commit). Messages above the request size limit go in further sends, one after another.
   * `progress`, for the transaction's last batch: the position record rides in the same (last)
   * produce request, so the transaction needs one AddPartitionsToTxn and one produce round trip
   * fewer before its commit — most of a CDR's wait at low load.
   */
  async send(messages: readonly OutMessage[], progress?: Progress): Promise<void> {
    const transaction = this.transaction;
    if (!transaction) throw new Error('KafkaSink.send outside a transaction');
    if (this.progressSent) throw new Error('KafkaSink.send after the transaction\'s position was sent');
    const topic = this.topic;
    const requests = [...inRequests(messages, this.settings.kafkaMaxRequestBytes)];
    for (let i = 0; i < requests.length; i++) {
      const out: ProducedRecord[] = requests[i]!.map((m) => ({ topic, key: m.keyBytes ?? undefined, value: m.value, headers: new Map([[CDR_ID_HEADER_BYTES, m.cdrIdBytes]]) }));
      const withPosition = progress !== undefined && i === requests.length - 1;
      if (withPosition) out.push(this.positionRecord(progress));
      try {
        await transaction.send({ messages: out });
      } catch (err) {
        throw failure(err, 'sending to Kafka failed');
      }
      if (withPosition) this.progressSent = progress;
    }
  }

  /**
   * Commits: everything sent in this transaction becomes visible at once, with the position
   * (`progress`: the last batch's), which is written first unless the last send carried it.
   */
  async commit(progress: Progress): Promise<void> {
    const transaction = this.transaction;
    if (!transaction) throw new Error('KafkaSink.commit outside a transaction');
    const sent = this.progressSent;
    if (sent && (sent.listId !== progress.listId || sent.seq !== progress.seq)) {
      throw new Error(`KafkaSink.commit at ${progress.listId}/${progress.seq} after the position ${sent.listId}/${sent.seq} was sent`);
    }
    try {
      if (!sent) await transaction.send({ messages: [this.positionRecord(progress)] });
      await transaction.commit();
      this.transaction = undefined;
      this.progressSent = undefined;
    } catch (err) {
      throw failure(err, 'committing the transaction failed');
    }
  }

  private positionRecord(progress: Progress): ProducedRecord {
    const record = progressRecord(this.settings.kafkaTransactionalId, progress, this.settings.sourceKey);
    return { topic: this.settings.kafkaProgressTopic, partition: 0, key: record.key, value: record.value };
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.transaction = undefined;
    this.progressSent = undefined;
    // force: a send still waiting (the bridge gave up on it) is failed, not awaited.
    await producer?.close(true);
  }

  /**
   * Drops the producer after a failure of unknown outcome. Its open transaction is aborted by
   * the next init() (which bumps the epoch), or by the broker's transaction timeout.
   */
  async reset(): Promise<void> {
    await this.disconnect().catch(() => undefined);
  }
}
