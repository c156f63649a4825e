// What a read_committed reader keeps of one partition's fetch response, decided as Kafka's Java
// consumer decides it: the broker lists the aborted transactions that overlap the response, and
// a transactional batch of a producer listed there is skipped until that producer's abort
// marker. The library's own filter keeps an aborted transaction whose marker lies beyond the
// response (a response cut at its size limit), so it is not relied on.

import type { fetchV17, KafkaRecord, RecordsBatch } from '@platformatic/kafka';

export interface ReadMessage {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
  timestamp: string;
}

const IS_TRANSACTIONAL = 0x10;
const IS_CONTROL = 0x20;
const LOG_APPEND_TIME = 0x08;
/** A control record's key: version (int16), then type (int16): 0 abort, 1 commit. */
const ABORT = 0;

export interface CommittedBatch {
  /** The offset after the batch: where the next fetch of the partition begins. */
  nextOffset: bigint;
  /** The batch, when it holds committed data (not a marker, not an aborted transaction's). */
  data: RecordsBatch | undefined;
}

/** The partition's batches in offset order, each with whether its records are to be read. */
export function* committedBatches(partition: Pick<fetchV17.FetchResponsePartition, 'abortedTransactions' | 'records'>): Generator<CommittedBatch> {
  const aborted = [...(partition.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  let nextAborted = 0;
  for (const batch of partition.records ?? []) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= last) abortedProducers.add(aborted[nextAborted++]!.producerId);
    let data: RecordsBatch | undefined = batch;
    if (batch.attributes & IS_CONTROL) {
      if (batch.records[0]?.key?.readInt16BE(2) === ABORT) abortedProducers.delete(batch.producerId);
      data = undefined;
    } else if (batch.attributes & IS_TRANSACTIONAL && abortedProducers.has(batch.producerId)) {
      data = undefined;
    }
    yield { nextOffset: last + 1n, data };
  }
}

/** Hands on the batch's records with offsets in [from, until). */
export function recordMessages(partition: number, batch: RecordsBatch, from: bigint, until: bigint | undefined, onMessage: (m: ReadMessage) => void): void {
  for (const record of batch.records) {
    const offset = batch.firstOffset + BigInt(record.offsetDelta);
    if (offset < from) continue;
    if (until !== undefined && offset >= until) return;
    const timestamp = batch.attributes & LOG_APPEND_TIME ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta;
    onMessage({ partition, offset: offset.toString(), key: record.key, value: record.value, headers: headersOf(record), timestamp: timestamp.toString() });
  }
}

function headersOf(record: KafkaRecord): Record<string, Buffer | undefined> {
  const out: Record<string, Buffer | undefined> = {};
  for (const [key, value] of record.headers) if (key !== null) out[key.toString()] = value ?? undefined;
  return out;
}
