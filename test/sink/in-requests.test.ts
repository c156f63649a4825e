// How a batch is cut into produce requests under KAFKA_MAX_REQUEST_BYTES: in order, nothing
// dropped or repeated, each request within the limit unless one message alone exceeds it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inRequests, type OutMessage } from '../../src/sink/kafka-sink';

const message = (i: number, valueBytes: number, key: string | null = `k${i}`): OutMessage => ({
  key,
  value: Buffer.alloc(valueBytes, i),
  cdrId: `id-${i}`,
  keyBytes: key === null ? null : Buffer.from(key),
  cdrIdBytes: Buffer.from(`id-${i}`),
});
// What inRequests counts per message: value, key bytes and 100 bytes of record overhead.
const size = (m: OutMessage): number => m.value.length + (m.keyBytes?.length ?? 0) + 100;

describe('inRequests', () => {
  it('keeps a batch under the limit in one request', () => {
    const batch = Array.from({ length: 500 }, (_, i) => message(i, 174));
    const requests = [...inRequests(batch, 900_000)];
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0], batch);
  });

  it('cuts a larger batch into requests within the limit, in order, every message exactly once', () => {
    const batch = Array.from({ length: 1000 }, (_, i) => message(i, 100 + (i % 7) * 50, i % 5 === 0 ? null : `key-${i}`));
    const limit = 10_000;
    const requests = [...inRequests(batch, limit)];
    assert.ok(requests.length > 1, `${requests.length} requests`);
    assert.deepEqual(requests.flat(), batch, 'concatenated, the requests are the batch');
    for (const r of requests) assert.ok(r.reduce((n, m) => n + size(m), 0) <= limit, 'each request within the limit');
    // Each cut was needed: the next message would not have fitted.
    for (let i = 0; i < requests.length - 1; i++) {
      assert.ok(requests[i]!.reduce((n, m) => n + size(m), 0) + size(requests[i + 1]![0]!) > limit, `cut ${i} was needed`);
    }
  });

  it('sends a message larger than the limit alone, between its neighbours', () => {
    const batch = [message(0, 100), message(1, 5_000), message(2, 100)];
    assert.deepEqual([...inRequests(batch, 1_000)], [[batch[0]], [batch[1]], [batch[2]]]);
  });

  it('yields nothing for an empty batch', () => {
    assert.deepEqual([...inRequests([], 1_000)], []);
  });
});
