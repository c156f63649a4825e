// KAFKA_COMPRESSION: the bridge's batches are stored with the codec asked for, and read back
// intact by every reader there is — the product's own reader (`tail`, these tests) and Kafka's
// Java consumer, the reference — and the product's reader reads what Kafka's Java code writes,
// zstd included.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cdr } from '../../src/codec/cdr';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { withAdmin } from '../../src/sink/kafka-client';
import { createTopics } from '../../src/sink/topic-admin';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { javaConsume, storedBatches, type StoredBatch } from '../support/kafka-java';
import { assertAllDelivered, assertOrderPerKey, pushSteadily, scenarioFactory, type Scenario } from '../support/scenario';
import { pushAll } from '../support/services';
import { readTopicUntil, type TopicRecord } from '../support/topic';

const scenario = scenarioFactory();

interface Position {
  partition: number;
  offset: bigint;
}

interface Located extends Position {
  key: string | null;
  cdrIdHeader: string | undefined;
}

const byPosition = (a: Position, b: Position): number => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);

function located(records: readonly TopicRecord[]): Located[] {
  return records.map(({ partition, offset, key, cdrIdHeader }) => ({ partition, offset, key, cdrIdHeader })).sort(byPosition);
}

/** Every batch the broker holds is of `codec`, and together they hold `count` records. */
function assertStoredAs(batches: readonly StoredBatch[], codec: string, count: number): void {
  assert.ok(batches.length > 0, 'the broker stored batches');
  const codecs = [...new Set(batches.map((b) => b.codec))];
  assert.deepEqual(codecs, [codec], `every stored batch is ${codec}`);
  assert.equal(batches.reduce((n, b) => n + b.count, 0), count, 'the stored batches hold every record');
}

/**
 * Pushes the payloads, runs a bridge with the codec until both lists are empty, and returns
 * the topic as the product's reader reads it back: every CDR once, equal to what went in, in order per key.
 */
async function deliverAll(s: Scenario, payloads: readonly string[], codec: string): Promise<TopicRecord[]> {
  await pushAll(s.redis, s.source, payloads);
  const bridge = BridgeProcess.run(s.env({ KAFKA_COMPRESSION: codec }));
  let records: TopicRecord[];
  try {
    await s.drained();
    records = await readTopicUntil(s.kafka, s.topic, payloads.length);
  } finally {
    assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
  }
  assert.equal(records.length, payloads.length, 'one record per CDR');
  assert.equal(assertAllDelivered(payloads, records).size, payloads.length);
  assertOrderPerKey(records);
  return records;
}

describe('compression', () => {
  for (const [i, codec] of (['gzip', 'snappy', 'lz4'] as const).entries()) {
    it(`KAFKA_COMPRESSION=${codec}: every batch is stored ${codec}; the reader, tail and Kafka's Java consumer read back exactly what went in`, async () => {
      const s = scenario();
      const payloads = takeSynthetic(3000, { seed: 70 + i });
      const records = await deliverAll(s, payloads, codec);
      assertStoredAs(await storedBatches(s.topic), codec, payloads.length);

      // The reference client: the same records, at the same offsets, with the same keys and ids.
      const java = await javaConsume(s.topic, payloads.length);
      assert.equal(java.length, payloads.length, 'the Java consumer read every record');
      assert.deepEqual(java.sort(byPosition), located(records));

      const tail = await runCli(['tail', '--from-beginning', '--count', String(payloads.length), '--with-meta'], s.env());
      assert.equal(tail.code, 0, tail.stderr);
      const lines = tail.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: string; cdr: Cdr });
      const tailed = lines.map((l) => ({ partition: l.partition, offset: BigInt(l.offset), cdr: l.cdr })).sort(byPosition);
      const read = [...records].sort(byPosition);
      assert.deepEqual(tailed.map((t) => [t.partition, t.offset, t.cdr]), read.map((r) => [r.partition, r.offset, r.cdr]), 'tail prints every CDR as the topic holds it');
    });
  }

  // A topic whose compression.type names a codec has the broker recompress every batch with
  // Kafka's own Java code: for snappy that is xerial's framing, not the raw snappy the bridge's
  // producer writes, and the read-back must unwrap it; zstd is a codec the bridge never writes.
  for (const [i, codec] of (['snappy', 'lz4', 'zstd'] as const).entries()) {
    it(`reads back batches Kafka's Java code compressed (topic compression.type=${codec}, the broker recompressing), and so does tail`, async () => {
      const s = scenario();
      await withAdmin(s.kafka, (admin) => createTopics(admin, [{ topic: s.topic, partitions: 3, configs: { 'compression.type': codec } }]));
      const payloads = takeSynthetic(3000, { seed: 80 + i });
      const records = await deliverAll(s, payloads, 'none');
      assertStoredAs(await storedBatches(s.topic), codec, payloads.length);
      const tail = await runCli(['tail', '--from-beginning', '--count', String(payloads.length), '--with-meta'], s.env());
      assert.equal(tail.code, 0, tail.stderr);
      const tailed = tail.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: string; cdr: Cdr }).map((l) => ({ ...l, offset: BigInt(l.offset) }));
      assert.deepEqual(tailed.sort(byPosition).map((t) => [t.partition, t.offset, t.cdr]), [...records].sort(byPosition).map((r) => [r.partition, r.offset, r.cdr]), 'tail prints every CDR as the topic holds it');
    });
  }

  it('KAFKA_COMPRESSION=lz4: a bridge killed between a commit and its ack, restarted, publishes every CDR exactly once', async () => {
    const s = scenario();
    const payloads = takeSynthetic(10_000, { seed: 90 });
    const env = s.env({ KAFKA_COMPRESSION: 'lz4' });
    // The first bridge dies (SIGKILL) right after its first lz4 transaction commits, before the ack.
    const first = BridgeProcess.run({ ...env, CDR_BRIDGE_FAILPOINT: 'crash-after-commit', CDR_BRIDGE_TEST_FAILPOINTS: 'true' });
    const pushing = pushSteadily(s, payloads);
    assert.equal((await first.exited).signal, 'SIGKILL', first.stderr.slice(-2000));
    await pushing;
    const unacked = await s.redis.llen(s.processing);
    const committed = (await readTopicUntil(s.kafka, s.topic, 1)).length;
    assert.ok(committed > 0 && unacked >= committed, `the committed batch (${committed}) is still in the processing list (${unacked})`);

    const second = BridgeProcess.run(env);
    try {
      await s.drained();
      const records = await readTopicUntil(s.kafka, s.topic, payloads.length);
      assert.equal(records.length, payloads.length, 'every CDR exactly once');
      const copies = assertAllDelivered(payloads, records);
      assert.equal(copies.size, payloads.length);
      assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 0 });
      const settling = second.logs.find((l) => l.msg === 'settling what was in flight');
      assert.ok(settling, 'the restart settled the processing list');
      assert.equal(settling.cdrs, unacked, 'it settled everything the crash left in flight');
      assert.equal(settling.alreadyInKafka, committed, 'Kafka\'s committed position named exactly the CDRs the crash left committed but unacked');
    } finally {
      assert.equal((await second.stop()).code, 0, second.stderr.slice(-2000));
    }
    assertStoredAs(await storedBatches(s.topic), 'lz4', payloads.length);
  });

  it('KAFKA_COMPRESSION=zstd stops the start with exit 2 and one line naming the setting', async () => {
    const { code, stdout, stderr } = await runCli(['run'], { KAFKA_COMPRESSION: 'zstd' });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, 'cdr-bridge: KAFKA_COMPRESSION: must be one of none, gzip, snappy, lz4, got "zstd"\n');
  });
});
