// Redis loses its data (FLUSHALL, or a restart without persistence) while batches are in flight:
// the one loss the bridge cannot prevent. It must not make things worse — nothing already in
// Kafka is sent again — and it must say what Redis lost, as Redis's loss: one error line with the
// batches and CDRs that were in flight and not in Kafka, and a counter; then it goes on with the
// new list, and every CDR pushed afterwards arrives exactly once.

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { OwnRedisBridge } from '../support/own-redis-bridge';
import { expectedCdr } from '../support/scenario';
import { waitFor } from '../support/services';

const LEASE_TTL_MS = 3000;

interface Snapshot {
  source: Buffer[];
  landing: Buffer[];
  /** The batches in flight, oldest first, each with its items oldest first. */
  batches: { seq: number; items: Buffer[] }[];
}

/**
 * Freezes the bridge (SIGSTOP) at a moment it has batches in flight — taken, and a transaction
 * open for them — and reads what Redis holds; `lose` then makes Redis lose it all (in the same
 * MULTI for a FLUSHALL). The bridge stays frozen past its lease, so it cannot commit what it holds.
 */
async function freezeInFlight(own: OwnRedisBridge, flushInSameStep: boolean): Promise<Snapshot> {
  for (;;) {
    await waitFor('batches in flight', async () => (await own.client.llen(own.processing)) > 0, 60_000, 5);
    own.bridge.kill('SIGSTOP');
    const tx = own.client.multi()
      .lrangeBuffer(own.source, 0, -1)
      .lrangeBuffer(`${own.processing}:landing`, 0, -1)
      .lrangeBuffer(own.processing, 0, -1)
      .lrange(`${own.processing}:batches`, 0, -1);
    if (flushInSameStep) tx.flushall();
    const replies = (await tx.exec())!.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    const [source, landing, processing, records] = replies as [Buffer[], Buffer[], Buffer[], string[]];
    if (processing.length === 0) {
      // Acked between the look and the freeze: try again (nothing was flushed, or nothing in flight was).
      assert.ok(!flushInSameStep, 'flushed with nothing in flight; the test cannot go on');
      own.bridge.kill('SIGCONT');
      continue;
    }
    // Both lists keep the oldest at the tail.
    const items = [...processing].reverse();
    const batches: Snapshot['batches'] = [];
    let at = 0;
    for (const record of [...records].reverse()) {
      const [seq, count] = record.split(' ').map(Number) as [number, number];
      batches.push({ seq, items: items.slice(at, at + count) });
      at += count;
    }
    assert.equal(at, items.length, 'the batch records describe the processing list');
    return { source: [...source].reverse(), landing: [...landing].reverse(), batches };
  }
}

async function dataLost(t: TestContext, own: OwnRedisBridge, lose: 'flushall' | 'restart'): Promise<void> {
  await own.push(200);
  await own.drained();
  // A backlog the bridge is in the middle of when Redis loses everything.
  await own.push(5000);
  const snapshot = await freezeInFlight(own, lose === 'flushall');
  if (lose === 'restart') await own.restartRedis();
  // Frozen past its lease: whatever it held uncommitted can no longer be committed.
  await new Promise((r) => setTimeout(r, LEASE_TTL_MS + 500));
  own.bridge.kill('SIGCONT');
  const report = await own.bridge.waitForLog('redis lost its data', 60_000);
  const after = await own.push(500);
  await own.drained();

  const records = await own.records();
  const inKafka = new Map<string, number>();
  for (const r of records) inKafka.set(r.cdr.cdr_id, (inKafka.get(r.cdr.cdr_id) ?? 0) + 1);
  const doubled = [...inKafka.values()].filter((n) => n > 1).length;
  assert.equal(doubled, 0, 'nothing already in Kafka was sent again');
  const idOf = (p: string | Buffer): string => expectedCdr(p).cdr_id;
  const lostBatches = snapshot.batches.filter((b) => !inKafka.has(idOf(b.items[0]!)));
  for (const b of snapshot.batches) {
    const there = b.items.filter((p) => inKafka.has(idOf(p))).length;
    assert.ok(there === 0 || there === b.items.length, `batch ${b.seq} is in Kafka whole or not at all (${there} of ${b.items.length})`);
  }
  const lostInFlight = new Set(lostBatches.flatMap((b) => b.items.map(idOf)));
  const lostWaiting = new Set([...snapshot.source, ...snapshot.landing].map(idOf));
  // Every CDR is in Kafka exactly once, but for what Redis lost: its in-flight batches not yet
  // committed, and the backlog waiting in the source list.
  for (const p of own.pushed) {
    const id = idOf(p);
    const expected = lostInFlight.has(id) || lostWaiting.has(id) ? 0 : 1;
    assert.equal(inKafka.get(id) ?? 0, expected, `CDR ${id}: ${expected} copies expected`);
  }
  for (const p of after) assert.equal(inKafka.get(idOf(p)), 1, 'CDRs pushed after the loss arrive');

  assert.ok(lostBatches.length > 0, 'the freeze caught batches the bridge had not committed');
  assert.equal(report.level, 'error');
  assert.equal(report.lostBatches, lostBatches.length, `the bridge counts the batches Redis lost: ${report.msg}`);
  assert.equal(report.lostCdrs, lostInFlight.size);
  assert.match(report.msg, new RegExp(`${lostBatches.length} in-flight batches \\(${lostInFlight.size} CDRs\\) not yet in Kafka`));
  assert.equal(own.bridge.logs.filter((l) => l.msg.includes('redis lost its data')).length, 1, 'said once');
  assert.equal(await own.metric('cdr_bridge_redis_data_lost_total'), 1);
  assert.equal(await own.metric('cdr_bridge_redis_lost_batches_total'), lostBatches.length);
  const newList = await own.client.hget(`${own.processing}:meta`, 'id');
  assert.ok(newList !== null && newList !== report.lostList, 'the bridge goes on with a new list');
  assert.equal((await own.readyz()).status, 200);
  t.diagnostic(`${lose}: ${snapshot.batches.length} batches in flight, ${lostBatches.length} not in Kafka (${lostInFlight.size} CDRs) — "${report.msg}"; ${lostWaiting.size} CDRs waiting in the source list lost with them; 0 duplicated`);
}

describe('Redis loses its data while CDRs are in flight', () => {
  const env = { BATCH_SIZE: '50', KAFKA_TRANSACTION_MAX_MS: '3000', KAFKA_TRANSACTION_MAX_RECORDS: '100000', LEASE_TTL_MS: String(LEASE_TTL_MS) };

  it('FLUSHALL: the in-flight batches not in Kafka are reported lost, nothing is sent twice, the bridge goes on with a new list', async (t) => {
    const own = await OwnRedisBridge.start({ env });
    try {
      await dataLost(t, own, 'flushall');
    } finally {
      await own.stop();
    }
  });

  it('a restart without persistence: the same, said once', async (t) => {
    const own = await OwnRedisBridge.start({ env, redisArgs: ['--appendonly', 'no'] });
    try {
      await dataLost(t, own, 'restart');
    } finally {
      await own.stop();
    }
  });
});
