// `cdr-bridge tail` prints the topic's CDRs decoded, one JSON object per line, and fails with
// one clear line when Kafka is unreachable.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cdr } from '../../src/codec/cdr';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { closedPort } from '../support/closed-port';
import { Scenario } from '../support/scenario';
import { pushAll } from '../support/services';
import { readTopicUntil, type TopicRecord } from '../support/topic';

// One partition, so "the first five records" has one meaning.
const s = new Scenario();
const env = s.env({ KAFKA_TOPIC_PARTITIONS: '1' });
let records: TopicRecord[] = [];

before(async () => {
  await pushAll(s.redis, s.source, takeSynthetic(12, { seed: 51 }));
  const bridge = BridgeProcess.run(env);
  try {
    records = await s.drained()
      .then(() => readTopicUntil(s.kafka, s.topic, 12))
      .catch((err: Error) => assert.fail(`${err.message}; the bridge's stderr:\n${bridge.stderr.slice(-3000)}`));
  } finally {
    await bridge.stop();
  }
  assert.equal(records.length, 12);
  records.sort((a, b) => (a.offset < b.offset ? -1 : 1));
});
after(() => s.close());

describe('cdr-bridge tail', () => {
  it('--from-beginning --count 5 prints the first 5 records, decoded, one JSON line each, and exits', async () => {
    const { code, stdout, stderr } = await runCli(['tail', '--from-beginning', '--count', '5'], env);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const cdrs = lines.map((l) => JSON.parse(l) as Cdr);
    assert.deepEqual(cdrs.map((c) => c.cdr_id), records.slice(0, 5).map((r) => r.cdr.cdr_id));
    assert.deepEqual(cdrs, records.slice(0, 5).map((r) => r.cdr), 'every field as the topic holds it');
  });

  it('--with-meta wraps each CDR with its partition, offset and key', async () => {
    const { code, stdout } = await runCli(['tail', '--from-beginning', '--count', '3', '--with-meta'], env);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: string; key: string; cdr: Cdr });
    assert.deepEqual(lines, records.slice(0, 3).map((r) => ({ partition: 0, offset: String(r.offset), key: r.cdr.internal_call_ref, cdr: r.cdr })));
  });

  it('exits 1 with one line naming the Kafka it cannot reach', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await runCli(['tail', '--from-beginning', '--count', '1'], { ...env, KAFKA_BROKERS: `127.0.0.1:${port}` });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, new RegExp(`^cdr-bridge: cannot reach Kafka at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});
