// ReliableList against a real Redis: takes are numbered batches (the landing list first), an ack
// removes exactly the batches up to a committed position — by position, leaving younger batches
// in place — and is safe to repeat; items without a batch record go back to the source.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InFlight } from '../../src/source/in-flight';
import { Lease } from '../../src/source/lease';
import { companionKeys, ReliableList } from '../../src/source/reliable-list';
import { Scenario } from '../support/scenario';
import { redisClient, waitFor } from '../support/services';

const scenarios: Scenario[] = [];
const blocking = redisClient();
after(async () => {
  for (const s of scenarios) await s.close();
  blocking.disconnect();
});

/** A fresh list with `items` waiting (the first given is the oldest) and the lease held. */
async function setUp(items: string[]): Promise<{ s: Scenario; list: ReliableList; token: string; lease: Lease }> {
  const s = new Scenario();
  scenarios.push(s);
  const list = new ReliableList(s.redis, blocking, { source: s.source, processing: s.processing, deadLetter: s.deadLetter, lease: `${s.source}:lease` });
  const lease = new Lease(s.redis, `${s.source}:lease`, 60_000);
  assert.ok(await lease.tryAcquire());
  if (items.length > 0) await s.redis.lpush(s.source, ...items);
  return { s, list, token: lease.token, lease };
}

const text = (items: Buffer[] | undefined): string[] => (items ?? []).map((b) => b.toString());

describe('ReliableList: numbered batches and acks by position', () => {
  it('numbers takes 1, 2, … under one list id, and lists them in flight oldest first', async () => {
    const { list, token } = await setUp(['a', 'b', 'c', 'd', 'e']);
    const first = await list.takeReady(3, token);
    const second = await list.takeReady(3, token);
    assert.deepEqual([first?.seq, text(first?.items)], [1, ['a', 'b', 'c']]);
    assert.deepEqual([second?.seq, text(second?.items)], [2, ['d', 'e']]);
    assert.equal(first?.listId, second?.listId);
    assert.equal(await list.takeReady(3, token), undefined, 'nothing waits: no batch, no number used');
    const inFlight = await list.inFlight();
    assert.deepEqual(inFlight.map((b) => [b.seq, text(b.items)]), [[1, ['a', 'b', 'c']], [2, ['d', 'e']]]);
  });

  it('acking up to the oldest batch leaves exactly the younger one; a repeat removes nothing', async () => {
    const { s, list, token } = await setUp(['a', 'b', 'c', 'd', 'e', 'f']);
    const first = (await list.takeReady(3, token))!;
    await list.takeReady(3, token);
    assert.deepEqual(await list.ack(first.listId, first.seq), { removed: 3, deadLettered: 0, remaining: 3 });
    assert.deepEqual((await list.inFlight()).map((b) => text(b.items)), [['d', 'e', 'f']]);
    assert.deepEqual(await list.ack(first.listId, first.seq), { removed: 0, deadLettered: 0, remaining: 3 }, 'a repeated ack removes nothing');
    assert.deepEqual(await list.ack(first.listId, 2), { removed: 3, deadLettered: 0, remaining: 0 });
    assert.equal(await s.redis.exists(companionKeys(s.processing).batches), 0, 'no batch record is left');
  });

  it('identical payloads in two batches: acking the older batch removes its copy only', async () => {
    const { list, token } = await setUp(['same', 'x', 'same', 'y']);
    const first = (await list.takeReady(2, token))!;
    await list.takeReady(2, token);
    assert.deepEqual(await list.ack(first.listId, first.seq), { removed: 2, deadLettered: 0, remaining: 2 });
    assert.deepEqual((await list.inFlight()).map((b) => text(b.items)), [['same', 'y']]);
  });

  it('dead-letters a refused item of an acked batch with its envelope, once, and not one of a younger batch', async () => {
    const { s, list, token } = await setUp(['good-1', 'bad', 'good-2', 'bad-later']);
    const taken = (await list.takeReady(3, token))!;
    const later = (await list.takeReady(1, token))!;
    const refused = [
      { seq: taken.seq, raw: taken.items[1]!, reason: 'test reason' },
      { seq: later.seq, raw: later.items[0]!, reason: 'not yet' },
    ];
    assert.deepEqual(await list.ack(taken.listId, taken.seq, refused), { removed: 2, deadLettered: 1, remaining: 1 });
    assert.deepEqual(await list.ack(taken.listId, taken.seq, refused), { removed: 0, deadLettered: 0, remaining: 1 }, 'a repeat dead-letters nothing twice');
    const letters = await s.redis.lrange(s.deadLetter, 0, -1);
    assert.equal(letters.length, 1);
    assert.match(letters[0]!, /test reason/);
    assert.match(letters[0]!, /"raw":"bad"/);
  });

  it('never acks by a position of another list id (Redis lost its data and the list began anew)', async () => {
    const { list, token } = await setUp(['a', 'b']);
    const batch = (await list.takeReady(2, token))!;
    assert.deepEqual(await list.ack('not-this-list', batch.seq), { removed: 0, deadLettered: 0, remaining: 2 });
  });

  it('a take without the lease moves nothing (NOTLEADER)', async () => {
    const { s, list, lease } = await setUp(['a']);
    await lease.release();
    await assert.rejects(list.takeReady(1, lease.token), { code: 'NOT_LEADER' });
    assert.equal(await s.redis.llen(s.source), 1);
  });

  it('an item a blocking take landed is taken first, in the next batch, by whoever leads', async () => {
    const { s, list, token } = await setUp([]);
    // A deposed leader's BLMOVE landed 'old' in the landing list; 'new' arrived after it.
    await s.redis.lpush(companionKeys(s.processing).landing, 'old');
    await s.redis.lpush(s.source, 'new');
    const batch = await list.takeReady(5, token);
    assert.deepEqual(text(batch?.items), ['old', 'new']);
    assert.equal(await s.redis.llen(companionKeys(s.processing).landing), 0);
  });

  it('a blocking take returns what arrives while it waits, as a numbered batch', async () => {
    const { s, list, token } = await setUp([]);
    const blockingId = Number(await blocking.client('ID'));
    const taking = list.take(10, 5000, token);
    // Pushed only once Redis shows the take blocked in its BLMOVE, so the wait itself is exercised.
    await waitFor('the take to block in BLMOVE', async () => {
      const me = String(await s.redis.client('LIST')).split('\n').find((line) => line.startsWith(`id=${blockingId} `));
      return me !== undefined && / cmd=blmove /.test(me) && / flags=b /.test(me);
    }, 4000, 5);
    await s.redis.lpush(s.source, 'late');
    const batch = await taking;
    assert.deepEqual([batch?.seq, text(batch?.items)], [1, ['late']]);
    assert.equal(await s.redis.llen(companionKeys(s.processing).landing), 0, 'nothing stays in the landing list');
  });

  it('items in flight without a batch record go back to the source tail, oldest taken first', async () => {
    const { s, list, token } = await setUp(['c']);
    // An older version left 'a', 'b' in flight (oldest at the tail) with no record.
    await s.redis.lpush(s.processing, 'a', 'b');
    assert.equal(await list.adoptUnrecorded(), 2);
    assert.equal(await s.redis.llen(s.processing), 0);
    const batch = await list.takeReady(5, token);
    assert.deepEqual(text(batch?.items), ['a', 'b', 'c']);
  });

  it('replay’s requeue moves whole batches back, oldest taken first, and leaves no records', async () => {
    const { s, list, token } = await setUp(['a', 'b', 'c', 'd', 'e']);
    await list.takeReady(2, token);
    await list.takeReady(2, token);
    await s.redis.lpush(s.source, 'f');
    const inFlight = new InFlight(s.redis, { source: s.source, processing: s.processing });
    assert.deepEqual(await inFlight.requeue(1), { moved: 2, remaining: 2 }, 'a batch moves whole');
    assert.deepEqual(await inFlight.requeue(1000), { moved: 2, remaining: 0 });
    assert.equal(await s.redis.exists(companionKeys(s.processing).batches), 0);
    const again = await list.takeReady(10, token);
    assert.deepEqual(text(again?.items), ['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
