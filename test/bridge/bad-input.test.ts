// The bad-input catalogue through a real Redis list, bridge process and Kafka topic: every odd
// payload is either published faithfully or dead-lettered with its reason, the good CDRs
// around it all arrive, and the bridge never stops.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { badInputCatalogue } from '../codec/bad-input-catalogue';
import { BridgeProcess } from '../support/bridge-process';
import { assertAllDelivered, Scenario, sha256 } from '../support/scenario';
import { pushAll } from '../support/services';
import { readTopicUntil } from '../support/topic';

const scenarios: Scenario[] = [];
after(() => Promise.all(scenarios.map((s) => s.close())));

describe('bad input through the running bridge', () => {
  // ENCODE_THREAD=true: the same catalogue, the same records and dead letters, encoded on the worker thread.
  for (const encodeThread of ['false', 'true']) it(`handles all ${badInputCatalogue.length} catalogue payloads and publishes the good CDRs around them (ENCODE_THREAD=${encodeThread})`, async () => {
    const s = new Scenario();
    scenarios.push(s);
    assert.ok(badInputCatalogue.length >= 25, 'the catalogue has at least 25 kinds of bad input');
    const good = takeSynthetic(badInputCatalogue.length + 1, { seed: 11 });
    const items: Buffer[] = [];
    badInputCatalogue.forEach((row, i) => items.push(Buffer.from(good[i] as string), row.raw));
    items.push(Buffer.from(good[good.length - 1] as string));
    await pushAll(s.redis, s.source, items, 10);

    const bridge = BridgeProcess.run(s.env({ BATCH_SIZE: '7', ENCODE_THREAD: encodeThread }));
    try {
      await s.drained();
      const wantPublished = badInputCatalogue.filter((r) => r.expect === 'published');
      const wantDead = badInputCatalogue.filter((r) => r.expect === 'dead-letter');
      const records = await readTopicUntil(s.kafka, s.topic, good.length + wantPublished.length);
      assert.equal(records.length, good.length + wantPublished.length, 'exactly the good CDRs and the publishable odd ones');
      assertAllDelivered(good, records.filter((r) => good.some((g) => sha256(g) === r.cdr.cdr_id)));
      for (const row of wantPublished) {
        const record = records.find((r) => r.cdr.cdr_id === sha256(row.raw));
        assert.ok(record, `published: ${row.name}`);
        row.check?.(record.cdr);
      }
      const letters = (await s.redis.lrangeBuffer(s.deadLetter, 0, -1)).reverse().map((b) => JSON.parse(b.toString()) as { reason: string; raw_base64: string });
      assert.equal(letters.length, wantDead.length);
      wantDead.forEach((row, i) => {
        const letter = letters[i]!;
        assert.ok(Buffer.from(letter.raw_base64, 'base64').equals(row.raw), `dead letter keeps the bytes of: ${row.name}`);
        if (row.reasonMatches) assert.match(letter.reason, row.reasonMatches, row.name);
      });
      assert.ok(bridge.running, 'the bridge is still running');
      const threads = bridge.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('encode thread started'));
      assert.equal(threads.length, encodeThread === 'true' ? 1 : 0, 'one encode thread with ENCODE_THREAD=true, none without');
    } finally {
      assert.equal((await bridge.stop()).code, 0);
    }
  });
});
