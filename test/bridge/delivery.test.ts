// The bridge as a process against real Redis and Kafka: everything pushed comes out of the
// topic, intact and in order per key; crashes and shutdowns lose nothing. The topic is read and
// decoded by the oracle (librdkafka + Apache Avro in Python), the expected CDR computed by the
// rules in test/support/oracle-cdr.ts; each crash and stop is aimed at a batch in flight.

import assert from 'node:assert/strict';
import { companionKeys } from '../../src/source/reliable-list';
import { describe, it } from 'node:test';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess } from '../support/bridge-process';
import { freezeWithWorkInFlight } from '../support/frozen-mid-batch';
import { assertAllDeliveredByOracle } from '../support/oracle-cdr';
import { oracleRecordsUntil } from '../support/oracle-topic';
import { assertOrderPerKey, pushSteadily, scenarioFactory, sha256 } from '../support/scenario';
import { pushAll, services, waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';

const scenario = scenarioFactory();

describe('delivery', () => {
  it('publishes 10,000 LPUSHed CDRs to the topic, equal to what went in and in order per key, and drains both lists', async () => {
    const s = scenario();
    const payloads = takeSynthetic(10_000, { seed: 1 });
    await pushAll(s.redis, s.source, payloads);
    const bridge = BridgeProcess.run(s.env({ KAFKA_KEY_FIELD: 'custom_call_ref' }));
    try {
      await s.drained();
      const records = await oracleRecordsUntil(services.kafkaBrokers, s.topic, payloads.length);
      assert.equal(records.length, payloads.length, 'one record per CDR');
      const copies = assertAllDeliveredByOracle(payloads, records);
      assert.equal(copies.size, payloads.length);
      const keys = assertOrderPerKey(records);
      assert.ok(keys > 1000, `many keys carried (${keys})`);
      for (const r of records) assert.equal(r.key, r.cdr.custom_call_ref, 'message key is the configured field');
      assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 0 });
    } finally {
      const { code } = await bridge.stop();
      assert.equal(code, 0, bridge.stderr.slice(-2000));
    }
    const infoPerCdr = bridge.logs.filter((l) => l.level === 'info').length;
    assert.ok(infoPerCdr < 20, `lifecycle-only logging at info (${infoPerCdr} lines for 10,000 CDRs)`);
  });

  it('loses nothing when the bridge is killed with SIGKILL mid-stream, a batch in flight, and restarted', async () => {
    const s = scenario();
    const payloads = takeSynthetic(10_000, { seed: 2 });
    const first = BridgeProcess.run(s.env());
    await first.waitForLog('acquired the lease');
    // Pushed while the first streams; it is killed mid-stream, at a moment it holds a batch in
    // flight, and the rest is pushed meanwhile, so the second always has work too.
    const pushing = pushSteadily(s, payloads, 100, 40);
    await readTopicUntil(s.kafka, s.topic, 3000);
    const inFlight = await freezeWithWorkInFlight(first, s.redis, s.processing);
    first.kill('SIGKILL');
    const { signal } = await first.exited;
    assert.equal(signal, 'SIGKILL');
    await pushing;
    const second = BridgeProcess.run(s.env());
    try {
      const settling = await second.waitForLog('settling what was in flight');
      assert.equal(settling.cdrs, inFlight.length, `the restart settled exactly the batch in flight at the kill (${inFlight.length} CDRs)`);
      await s.drained();
      const records = await oracleRecordsUntil(services.kafkaBrokers, s.topic, payloads.length);
      const copies = assertAllDeliveredByOracle(payloads, records);
      assert.equal(copies.size, payloads.length, 'every CDR present');
      assert.equal(records.length, payloads.length, 'every CDR once');
      assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 0 });
    } finally {
      assert.equal((await second.stop()).code, 0);
    }
  });

  it('dead-letters malformed payloads with their reason while publishing the good ones around them', async () => {
    const s = scenario();
    const good = takeSynthetic(300, { seed: 3 });
    const bad: (string | Buffer)[] = [
      'not json at all',
      '[1,2,3]',
      '{"ext":"1001","disposition":"ANSWERED"}',
      '{"internal_call_ref":"x1","SIP_termination_code":"abc"}',
      Buffer.from([0x7b, 0x22, 0x69, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    ];
    const mixed: (string | Buffer)[] = [];
    good.forEach((g, i) => {
      mixed.push(g);
      if (i % 60 === 30) mixed.push(bad[(i - 30) / 60] as string | Buffer);
    });
    await pushAll(s.redis, s.source, mixed);
    const bridge = BridgeProcess.run(s.env());
    try {
      await s.drained();
      const records = await oracleRecordsUntil(services.kafkaBrokers, s.topic, good.length);
      assert.equal(records.length, good.length);
      assertAllDeliveredByOracle(good, records);
      const letters = (await s.redis.lrangeBuffer(s.deadLetter, 0, -1)).reverse().map((b) => JSON.parse(b.toString()) as Record<string, string>);
      assert.equal(letters.length, bad.length);
      letters.forEach((letter, i) => {
        const raw = Buffer.from(bad[i] as string | Buffer);
        assert.ok(Buffer.from(letter.raw_base64 as string, 'base64').equals(raw), `dead letter ${i} keeps the raw bytes`);
        assert.equal(letter.source, s.source);
        assert.ok(!Number.isNaN(Date.parse(letter.failed_at as string)));
      });
      assert.match(letters[0]!.reason!, /JSON/i);
      assert.match(letters[1]!.reason!, /array/i);
      assert.match(letters[2]!.reason!, /internal_call_ref/);
      assert.match(letters[3]!.reason!, /SIP_termination_code|sip_termination_code/);
      assert.match(letters[4]!.reason!, /UTF-8/i);
    } finally {
      assert.equal((await bridge.stop()).code, 0);
    }
  });

  it('publishes exactly once, in the leader\'s next batch, an item a deposed leader\'s BLMOVE landed while a backlog drains', async () => {
    const s = scenario();
    const payloads = takeSynthetic(20_000, { seed: 5 });
    const strays = takeSynthetic(30, { seed: 6 });
    await pushAll(s.redis, s.source, payloads);
    // Small batches: the backlog drains over seconds, not a blink, so the strays land mid-drain.
    const bridge = BridgeProcess.run(s.env({ BATCH_SIZE: '50' }));
    const landing = companionKeys(s.processing).landing;
    try {
      await bridge.waitForLog('acquired the lease');
      // Mid-drain, items appear in the landing list as a blocking take of a deposed leader leaves
      // them: it cannot check the lease, so it moves into the landing list, never into a batch.
      await waitFor('the leader to have taken 2,000 of the backlog', async () => (await s.redis.llen(s.source)) <= payloads.length - 2000, 60_000, 5);
      const landedWhileBacklog: number[] = [];
      for (let i = 0; i < strays.length; i += 10) {
        await s.redis.lpush(landing, ...strays.slice(i, i + 10));
        landedWhileBacklog.push(await s.redis.llen(s.source));
        await new Promise((r) => setTimeout(r, 15));
      }
      assert.ok(landedWhileBacklog.every((n) => n > 0), `the fault missed: the backlog was gone before every stray landed (source list at each landing: ${landedWhileBacklog.join(', ')})`);
      await s.drained();
      const all = [...payloads, ...strays];
      const records = await oracleRecordsUntil(services.kafkaBrokers, s.topic, all.length);
      assert.equal(records.length, all.length, 'every CDR and every stray exactly once');
      const copies = assertAllDeliveredByOracle(all, records);
      assert.equal(copies.size, all.length);
      // In the next batch, not after the backlog: each stray's partition still has backlog CDRs after it.
      const strayIds = new Set(strays.map((x) => sha256(x)));
      const lastBacklog = new Map<number, bigint>();
      for (const r of records) if (!strayIds.has(r.cdr.cdr_id) && r.offset > (lastBacklog.get(r.partition) ?? -1n)) lastBacklog.set(r.partition, r.offset);
      for (const r of records) if (strayIds.has(r.cdr.cdr_id)) assert.ok(r.offset < lastBacklog.get(r.partition)!, `stray ${r.cdr.cdr_id.slice(0, 12)} was published before the backlog's end, not after it`);
      assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 0 });
      assert.equal(await s.redis.llen(landing), 0, 'the landing list is empty');
    } finally {
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });

  it('on SIGTERM mid-stream finishes the batch in flight, exits 0 and leaves nothing in the processing list', async () => {
    const s = scenario();
    const payloads = takeSynthetic(10_000, { seed: 4 });
    const bridge = BridgeProcess.run(s.env({ KAFKA_KEY_FIELD: 'custom_call_ref' }));
    await bridge.waitForLog('http endpoints listening');
    await bridge.waitForLog('acquired the lease');
    const pushing = pushSteadily(s, payloads, 100, 40);
    await readTopicUntil(s.kafka, s.topic, 2000);
    // SIGTERM reaches it at a moment it holds a batch: sent while it is frozen there, taken on SIGCONT.
    const inFlight = await freezeWithWorkInFlight(bridge, s.redis, s.processing);
    const stoppedAt = Date.now();
    bridge.kill('SIGTERM');
    bridge.kill('SIGCONT');
    const { code } = await bridge.exited;
    assert.equal(code, 0, bridge.stderr.slice(-2000));
    assert.ok(Date.now() - stoppedAt < 10_000, 'stopped within the shutdown timeout');
    await bridge.waitForLog('stopped cleanly', 1000);
    await pushing;
    const left = await s.lengths();
    assert.equal(left.processing, 0, 'nothing left in flight');
    const records = await oracleRecordsUntil(services.kafkaBrokers, s.topic, 1);
    const published = new Set(records.map((r) => r.cdr.cdr_id));
    const unfinished = inFlight.filter((p) => !published.has(sha256(p)));
    assert.equal(unfinished.length, 0, `the ${inFlight.length} CDRs in flight at the SIGTERM were published before the exit (${unfinished.length} were not)`);
    assert.equal(records.length + left.source, payloads.length, 'every CDR is either in the topic or still in the source list');
    assertOrderPerKey(records);
    // What is left is picked up by the next run, oldest first.
    const next = BridgeProcess.run(s.env({ KAFKA_KEY_FIELD: 'custom_call_ref' }));
    try {
      await s.drained();
      const all = await oracleRecordsUntil(services.kafkaBrokers, s.topic, payloads.length);
      assert.equal(all.length, payloads.length);
      assertAllDeliveredByOracle(payloads, all);
      assertOrderPerKey(all);
    } finally {
      assert.equal((await next.stop()).code, 0);
    }
    await waitFor('source list empty', async () => (await s.lengths()).source === 0);
  });
});
