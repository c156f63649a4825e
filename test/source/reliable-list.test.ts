// ReliableList.lengths against a real Redis: what /metrics shows of the lists at each scrape —
// the three lengths, and how long the oldest CDR has been in flight by Redis's own clock.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Lease } from '../../src/source/lease';
import { companionKeys, ReliableList } from '../../src/source/reliable-list';
import { Scenario } from '../support/scenario';
import { redisClient } from '../support/services';

const scenarios: Scenario[] = [];
const blocking = redisClient();
after(async () => {
  for (const s of scenarios) await s.close();
  blocking.disconnect();
});

describe('ReliableList.lengths', () => {
  it('counts the source, processing and dead-letter lists, and ages the oldest CDR in flight by Redis\'s clock', async () => {
    const s = new Scenario();
    scenarios.push(s);
    const list = new ReliableList(s.redis, blocking, { source: s.source, processing: s.processing, deadLetter: s.deadLetter, lease: `${s.source}:lease` });
    const lease = new Lease(s.redis, `${s.source}:lease`, 60_000);
    assert.ok(await lease.tryAcquire());
    await s.redis.lpush(s.source, 'a', 'b', 'c', 'd', 'e');
    await s.redis.lpush(s.deadLetter, 'x', 'y');
    assert.deepEqual(await list.lengths(), { source: 5, landing: 0, processing: 0, deadLetter: 2, oldestInFlightMs: null }, 'nothing in flight has no age');

    await list.takeReady(3, lease.token);
    const fresh = await list.lengths();
    assert.deepEqual({ ...fresh, oldestInFlightMs: undefined }, { source: 2, landing: 0, processing: 3, deadLetter: 2, oldestInFlightMs: undefined });
    assert.ok(fresh.oldestInFlightMs !== null && fresh.oldestInFlightMs >= 0 && fresh.oldestInFlightMs < 5000, `just taken: ${fresh.oldestInFlightMs} ms`);

    // As if the batch had been taken 90 s ago (by Redis's clock, whatever this process's says).
    const [seconds] = await s.redis.time();
    await s.redis.lset(companionKeys(s.processing).batches, -1, `1 3 ${Number(seconds) * 1000 - 90_000}`);
    const old = (await list.lengths()).oldestInFlightMs;
    assert.ok(old !== null && old >= 90_000 && old < 95_000, `90 s in flight: ${old} ms`);

    // A younger batch does not make the oldest look younger.
    await list.takeReady(1, lease.token);
    const still = (await list.lengths()).oldestInFlightMs;
    assert.ok(still !== null && still >= 90_000, `the oldest batch still counts: ${still} ms`);
  });
});

describe('Batch.takenAt: one clock on every path', () => {
  it('a fresh take and the same batch settled from its record carry the same Redis TIME, so received_at agrees', async () => {
    const s = new Scenario();
    scenarios.push(s);
    const list = new ReliableList(s.redis, blocking, { source: s.source, processing: s.processing, deadLetter: s.deadLetter, lease: `${s.source}:lease` });
    const lease = new Lease(s.redis, `${s.source}:lease`, 60_000);
    assert.ok(await lease.tryAcquire());
    const redisNowMs = async (): Promise<number> => {
      const [seconds, micros] = await s.redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    await s.redis.lpush(s.source, 'a', 'b', 'c', 'd', 'e');
    const before = await redisNowMs();
    const first = (await list.takeReady(2, lease.token))!;
    const second = (await list.take(3, 100, lease.token))!;
    const afterMs = await redisNowMs();
    // What a leader that settles these batches after a failover reads: their batch records.
    const settled = await list.inFlight();
    assert.deepEqual(settled.map((b) => [b.seq, b.takenAt]), [[first.seq, first.takenAt], [second.seq, second.takenAt]], 'the take and the record agree to the millisecond');
    for (const b of [first, second]) assert.ok(b.takenAt >= before && b.takenAt <= afterMs, `takenAt ${b.takenAt} is Redis's time, between ${before} and ${afterMs}`);
  });
});
