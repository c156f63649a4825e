// ReliableList.ack against a real Redis: it removes exactly the batch it is given — whether the
// batch sits at the tail of the processing list (the fast path: one LRANGE check, one LTRIM) or
// not (one LREM per item) — leaves the batch taken ahead of it in place, and is safe to repeat.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Lease } from '../../src/source/lease';
import { inFlightSinceKey, ReliableList } from '../../src/source/reliable-list';
import { Scenario } from '../support/scenario';
import { redisClient } from '../support/services';

const scenarios: Scenario[] = [];
const blocking = redisClient();
after(async () => {
  for (const s of scenarios) await s.close();
  blocking.disconnect();
});

/** A fresh list with `items` waiting (the first given is the oldest) and the lease held. */
async function setUp(items: string[]): Promise<{ s: Scenario; list: ReliableList; token: string }> {
  const s = new Scenario();
  scenarios.push(s);
  const list = new ReliableList(s.redis, blocking, { source: s.source, processing: s.processing, deadLetter: s.deadLetter, lease: `${s.source}:lease` });
  const lease = new Lease(s.redis, `${s.source}:lease`, 60_000);
  assert.ok(await lease.tryAcquire());
  if (items.length > 0) await s.redis.lpush(s.source, ...items);
  return { s, list, token: lease.token };
}

const text = (items: Buffer[]): string[] => items.map((b) => b.toString());

describe('ReliableList.ack', () => {
  it('acking the oldest batch leaves exactly the batch taken after it, oldest first', async () => {
    const { s, list, token } = await setUp(['a', 'b', 'c', 'd', 'e', 'f']);
    const first = await list.takeReady(3, token);
    const ahead = await list.takeReady(3, token);
    assert.deepEqual(text(first), ['a', 'b', 'c']);
    assert.deepEqual(text(ahead), ['d', 'e', 'f']);

    const result = await list.ack(first);
    assert.deepEqual(result, { removed: 3, deadLettered: 0, remaining: 3 });
    assert.deepEqual(text(await list.inFlight()), ['d', 'e', 'f']);
    const since = Number(await s.redis.get(inFlightSinceKey(s.processing)));
    assert.ok(since > Date.now() - 60_000, 'the since key is set while items remain');

    assert.deepEqual(await list.ack(ahead), { removed: 3, deadLettered: 0, remaining: 0 });
    assert.equal(await s.redis.exists(s.processing, inFlightSinceKey(s.processing)), 0, 'list and since key are gone once empty');
  });

  it('acking a batch that is not at the tail removes exactly its items, and a repeat removes nothing', async () => {
    const { list, token } = await setUp(['a', 'b', 'c', 'd', 'e', 'f']);
    const first = await list.takeReady(3, token);
    const ahead = await list.takeReady(3, token);

    assert.deepEqual(await list.ack(ahead), { removed: 3, deadLettered: 0, remaining: 3 });
    assert.deepEqual(text(await list.inFlight()), ['a', 'b', 'c']);
    assert.deepEqual(await list.ack(ahead), { removed: 0, deadLettered: 0, remaining: 3 }, 'a repeated ack removes nothing');
    assert.deepEqual(await list.ack(first), { removed: 3, deadLettered: 0, remaining: 0 });
  });

  it('a batch whose tail matches only in part is removed item by item, not trimmed', async () => {
    const { list, token } = await setUp(['a', 'b', 'c', 'd']);
    const taken = await list.takeReady(4, token);
    // Ack 'a', 'c': the tail holds 'a', 'b' (oldest last), so the fast path must not apply.
    const result = await list.ack([taken[0]!, taken[2]!]);
    assert.deepEqual(result, { removed: 2, deadLettered: 0, remaining: 2 });
    assert.deepEqual(text(await list.inFlight()), ['b', 'd']);
  });

  it('identical payloads in two batches: acking the older batch removes one copy', async () => {
    const { list, token } = await setUp(['same', 'x', 'same', 'y']);
    const first = await list.takeReady(2, token);
    const ahead = await list.takeReady(2, token);
    assert.deepEqual(await list.ack(first), { removed: 2, deadLettered: 0, remaining: 2 });
    assert.deepEqual(text(await list.inFlight()), ['same', 'y']);
    assert.deepEqual(await list.ack(ahead), { removed: 2, deadLettered: 0, remaining: 0 });
  });

  it('dead-letters a refused item with its envelope while removing the published ones', async () => {
    const { s, list, token } = await setUp(['good-1', 'bad', 'good-2']);
    const taken = await list.takeReady(3, token);
    const result = await list.ack([taken[0]!, taken[2]!], [{ raw: taken[1]!, reason: 'test reason' }]);
    assert.deepEqual(result, { removed: 2, deadLettered: 1, remaining: 0 });
    const letters = await s.redis.lrange(s.deadLetter, 0, -1);
    assert.equal(letters.length, 1);
    assert.match(letters[0]!, /test reason/);
  });
});
