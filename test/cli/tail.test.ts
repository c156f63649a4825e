// `cdr-bridge tail` prints the topic's CDRs decoded, one JSON object per line, and fails with
// one clear line when Kafka is unreachable or the topic does not exist — which it never creates,
// even on a broker that auto-creates topics (the stack's does).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cdr } from '../../src/codec/cdr';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { closedPort } from '../support/closed-port';
import { Scenario } from '../support/scenario';
import { withAdmin } from '../../src/sink/kafka-client';
import { pushAll, waitFor } from '../support/services';
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

  it('a topic that does not exist: exit 2, one line naming KAFKA_TOPIC, and no topic made on a broker that auto-creates', async () => {
    const typo = `${s.topic}-typo`;
    await withAdmin(s.kafka, async (admin) => {
      // The broker would make it for any client that asked: auto-create is on, and a metadata
      // request that allows it creates a topic (a control name, not the typo).
      const [node] = (await admin.metadata({ topics: [] })).brokers.keys();
      const [broker] = await admin.describeConfigs({ resources: [{ resourceType: 4 /* BROKER */, resourceName: String(node), configurationKeys: ['auto.create.topics.enable'] }] });
      assert.equal(broker?.configs.find((c) => c.name === 'auto.create.topics.enable')?.value, 'true', 'the broker auto-creates topics');
      const control = `${s.topic}-control`;
      await admin.metadata({ topics: [control], autocreateTopics: true }).catch(() => undefined);
      await waitFor('a metadata request that allows it to create a topic', async () => (await admin.listTopics()).includes(control), 30_000);
    });
    for (const from of [['--from-beginning'], []]) {
      const { code, stdout, stderr } = await runCli(['tail', ...from, '--count', '1'], { ...env, KAFKA_TOPIC: typo });
      assert.equal(code, 2, stderr);
      assert.equal(stdout, '');
      assert.equal(stderr, `cdr-bridge: KAFKA_TOPIC: topic "${typo}" does not exist on Kafka at ${env.KAFKA_BROKERS} (tail reads a topic, it never creates one: check the name)\n`);
    }
    assert.deepEqual(await withAdmin(s.kafka, async (admin) => (await admin.listTopics()).filter((t) => t.startsWith(typo))), [], 'no topic was created');
  });
});
