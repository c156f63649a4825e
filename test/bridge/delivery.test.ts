// The bridge as a process against real Redis and Kafka: everything pushed comes out of the
// topic, intact and in order per key; crashes and shutdowns lose nothing.

import assert from 'node:assert/strict';
import { companionKeys } from '../../src/source/reliable-list';
import { describe, it } from 'node:test';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess } from '../support/bridge-process';
import { assertAllDelivered, assertOrderPerKey, pushSteadily, scenarioFactory } from '../support/scenario';
import { pushAll, waitFor } from '../support/services';
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
      const records = await readTopicUntil(s.kafka, s.topic, payloads.length);
      assert.equal(records.length, payloads.length, 'one record per CDR');
      const copies = assertAllDelivered(payloads, records);
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

  it('loses nothing when the bridge is killed with SIGKILL mid-stream and restarted', async () => {
    const s = scenario();
    const payloads = takeSynthetic(10_000, { seed: 2 });
    const first = BridgeProcess.run(s.env());
    await first.waitForLog('acquired the lease');
    // Half pushed while the first streams, which is killed mid-stream; the other half after,
    // so the second always has work (a fast first bridge could otherwise drain everything).
    const pushing = pushSteadily(s, payloads.slice(0, 5000));
    await readTopicUntil(s.kafka, s.topic, 3000);
    first.kill('SIGKILL');
    const { signal } = await first.exited;
    assert.equal(signal, 'SIGKILL');
    await pushing;
    await pushAll(s.redis, s.source, payloads.slice(5000));
    const second = BridgeProcess.run(s.env());
    try {
      await s.drained();
      const records = await readTopicUntil(s.kafka, s.topic, payloads.length);
      const copies = assertAllDelivered(payloads, records);
      assert.equal(copies.size, payloads.length, 'every CDR present');
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
      const records = await readTopicUntil(s.kafka, s.topic, good.length);
      assert.equal(records.length, good.length);
      assertAllDelivered(good, records);
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
    const bridge = BridgeProcess.run(s.env());
    try {
      await bridge.waitForLog('acquired the lease');
      // Mid-drain, items appear in the landing list as a blocking take of a deposed leader leaves
      // them: it cannot check the lease, so it moves into the landing list, never into a batch.
      await readTopicUntil(s.kafka, s.topic, 2000);
      for (let i = 0; i < strays.length; i += 10) {
        await s.redis.lpush(companionKeys(s.processing).landing, ...strays.slice(i, i + 10));
        await new Promise((r) => setTimeout(r, 15));
      }
      await s.drained();
      const all = [...payloads, ...strays];
      const records = await readTopicUntil(s.kafka, s.topic, all.length);
      assert.equal(records.length, all.length, 'every CDR and every stray exactly once');
      const copies = assertAllDelivered(all, records);
      assert.equal(copies.size, all.length);
      assert.deepEqual(await s.lengths(), { source: 0, processing: 0, deadLetter: 0 });
      assert.equal(await s.redis.llen(companionKeys(s.processing).landing), 0, 'the landing list is empty');
    } finally {
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });

  it('on SIGTERM mid-stream finishes the batch in flight, exits 0 and leaves nothing in the processing list', async () => {
    const s = scenario();
    const payloads = takeSynthetic(10_000, { seed: 4 });
    const bridge = BridgeProcess.run(s.env({ KAFKA_KEY_FIELD: 'custom_call_ref' }));
    await bridge.waitForLog('acquired the lease');
    const pushing = pushSteadily(s, payloads);
    await readTopicUntil(s.kafka, s.topic, 2000);
    const stoppedAt = Date.now();
    const { code } = await bridge.stop('SIGTERM');
    assert.equal(code, 0, bridge.stderr.slice(-2000));
    assert.ok(Date.now() - stoppedAt < 10_000, 'stopped within the shutdown timeout');
    await bridge.waitForLog('stopped cleanly', 1000);
    await pushing;
    const left = await s.lengths();
    assert.equal(left.processing, 0, 'nothing left in flight');
    const records = await readTopicUntil(s.kafka, s.topic, 1);
    assert.equal(records.length + left.source, payloads.length, 'every CDR is either in the topic or still in the source list');
    assertOrderPerKey(records);
    // What is left is picked up by the next run, oldest first.
    const next = BridgeProcess.run(s.env({ KAFKA_KEY_FIELD: 'custom_call_ref' }));
    try {
      await s.drained();
      const all = await readTopicUntil(s.kafka, s.topic, payloads.length);
      assert.equal(all.length, payloads.length);
      assertAllDelivered(payloads, all);
      assertOrderPerKey(all);
    } finally {
      assert.equal((await next.stop()).code, 0);
    }
    await waitFor('source list empty', async () => (await s.lengths()).source === 0);
  });
});
