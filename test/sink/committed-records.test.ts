// What a read_committed reader keeps of one fetch response, as Kafka's Java consumer decides
// it: aborted transactions skipped even when their marker lies past the response, committed ones
// of the same producer kept, markers never handed on, and the next fetch offset past all of it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordsBatch } from '@platformatic/kafka';
import { committedBatches, recordMessages, type ReadMessage } from '../../src/sink/committed-records';

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

function batch(firstOffset: bigint, producerId: bigint, count: number, attributes = TRANSACTIONAL): RecordsBatch {
  return {
    firstOffset, length: 0, partitionLeaderEpoch: 0, magic: 2, crc: 0, attributes, lastOffsetDelta: count - 1,
    firstTimestamp: 1000n, maxTimestamp: 1000n + BigInt(count), producerId, producerEpoch: 0, firstSequence: 0,
    records: Array.from({ length: count }, (_, i) => ({ length: 0, attributes: 0, timestampDelta: BigInt(i), offsetDelta: i, key: Buffer.from(`k${firstOffset + BigInt(i)}`), value: Buffer.from(`v${firstOffset + BigInt(i)}`), headers: [[Buffer.from('cdr-id'), Buffer.from(`id${firstOffset + BigInt(i)}`)]] })),
  };
}

/** A transaction marker: its one record's key is version 0, then 0 (abort) or 1 (commit). */
function marker(offset: bigint, producerId: bigint, commit: boolean): RecordsBatch {
  const key = Buffer.alloc(4);
  key.writeInt16BE(commit ? 1 : 0, 2);
  return { ...batch(offset, producerId, 1, TRANSACTIONAL | CONTROL), records: [{ length: 0, attributes: 0, timestampDelta: 0n, offsetDelta: 0, key, value: Buffer.alloc(6), headers: [] }] };
}

function read(records: RecordsBatch[], abortedTransactions: { producerId: bigint; firstOffset: bigint }[], from = 0n, until?: bigint): { offsets: string[]; next: bigint } {
  const out: ReadMessage[] = [];
  let next = from;
  for (const b of committedBatches({ records, abortedTransactions })) {
    next = b.nextOffset;
    if (b.data) recordMessages(0, b.data, from, until, (m) => out.push(m));
  }
  return { offsets: out.map((m) => m.offset), next };
}

describe('committed records of a fetch response', () => {
  it('skips an aborted transaction, keeps the same producer\'s committed one, and hands on no marker', () => {
    const { offsets, next } = read([batch(0n, 7n, 3), marker(3n, 7n, false), batch(4n, 7n, 2), marker(6n, 7n, true)], [{ producerId: 7n, firstOffset: 0n }]);
    assert.deepEqual(offsets, ['4', '5']);
    assert.equal(next, 7n, 'the next fetch starts past the last marker');
  });

  it('skips an aborted transaction whose abort marker lies past the response (a response cut at its size limit)', () => {
    const { offsets, next } = read([batch(0n, 1n, 2, 0), batch(2n, 9n, 3)], [{ producerId: 9n, firstOffset: 2n }]);
    assert.deepEqual(offsets, ['0', '1'], 'the non-transactional batch only');
    assert.equal(next, 5n);
  });

  it('keeps other producers\' batches interleaved with an aborted transaction', () => {
    const { offsets } = read([batch(0n, 9n, 1), batch(1n, 4n, 1), marker(2n, 4n, true), batch(3n, 9n, 1), marker(4n, 9n, false)], [{ producerId: 9n, firstOffset: 0n }]);
    assert.deepEqual(offsets, ['1']);
  });

  it('reads records in [from, until) only, with key, value, headers and timestamp', () => {
    const out: ReadMessage[] = [];
    for (const b of committedBatches({ records: [batch(10n, 1n, 5, 0)], abortedTransactions: null })) if (b.data) recordMessages(2, b.data, 11n, 13n, (m) => out.push(m));
    assert.deepEqual(out.map((m) => [m.partition, m.offset, m.key?.toString(), m.value?.toString(), m.headers['cdr-id']?.toString(), m.timestamp]), [
      [2, '11', 'k11', 'v11', 'id11', '1001'],
      [2, '12', 'k12', 'v12', 'id12', '1002'],
    ]);
  });
});
