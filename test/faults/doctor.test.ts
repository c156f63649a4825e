// `cdr-bridge doctor` on the three-broker bed: a topic with one replica where the cluster could
// keep three is a FAIL, min.insync.replicas 1 at factor 3 a warning, and a topic as the bridge
// creates it (factor 3, min ISR 2) passes every check, the clock read from the KRaft quorum.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Admin } from '@platformatic/kafka';
import { replicaCounts, topicConfig } from '../../src/sink/topic-admin';
import type { DoctorReport } from '../../src/bridge/doctor';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { uniqueName, waitFor } from '../support/services';

describe('cdr-bridge doctor on three brokers', () => {
  const bed = OwnStack.attached();
  let admin: Admin;
  let progress: string;

  before(async () => {
    admin = await bed.patientAdmin();
    progress = uniqueName('test.progress');
    await createTopic(progress, 1, 3, { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' });
  });
  after(async () => {
    await admin.close();
  });

  /** Creates a topic and waits until every partition has a leader and a full ISR. */
  async function createTopic(topic: string, partitions: number, replicationFactor: number, configs: Record<string, string>): Promise<void> {
    await admin.createTopics({ topics: [{ topic, partitions, replicas: replicationFactor }], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) });
    // A full ISR, not only leaders: every node must have caught up for the doctor's replica checks.
    await waitFor(`leaders of ${topic}`, async () => {
      const meta = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined);
      const ps = meta?.topics.get(topic)?.partitions ?? [];
      return ps.length === partitions && ps.every((p) => p.leader >= 0 && p.isr.length === replicationFactor);
    });
  }

  async function doctorOn(replicationFactor: number, minIsr: string): Promise<{ code: number | null; report: DoctorReport }> {
    const topic = uniqueName('test.rf');
    await createTopic(topic, 3, replicationFactor, { 'min.insync.replicas': minIsr });
    const env = { REDIS_URL: bed.redisUrl, KAFKA_BROKERS: bed.kafkaBrokers, CDR_SOURCE_KEY: uniqueName('test:doctor'), KAFKA_TOPIC: topic, KAFKA_PROGRESS_TOPIC: progress, SCHEMA_REGISTRY_URL: '' };
    const { code, stdout, stderr } = await runCli(['doctor', '--json'], env);
    assert.equal(stderr, '');
    return { code, report: JSON.parse(stdout) as DoctorReport };
  }

  const notOk = (r: DoctorReport): string[] => r.checks.filter((c) => c.verdict !== 'ok').map((c) => `${c.verdict} ${c.name}: ${c.found}`);
  const found = (r: DoctorReport, name: string): string => r.checks.find((c) => c.name === name)?.found ?? assert.fail(`no ${name}`);

  it('FAILs a topic with one replica on three brokers, naming what one lost disk costs', async () => {
    const { code, report } = await doctorOn(1, '1');
    assert.deepEqual(notOk(report), ['FAIL kafka.topic.replication: replication factor 1 on 3 brokers, min.insync.replicas 1: one lost disk loses confirmed CDRs']);
    assert.equal(code, 1);
  });

  it('warns min.insync.replicas 1 at replication factor 3', async () => {
    const { code, report } = await doctorOn(3, '1');
    assert.deepEqual(notOk(report), ['warn kafka.topic.replication: replication factor 3 on 3 brokers, min.insync.replicas 1: acks=all is satisfied by the leader alone']);
    assert.equal(code, 3);
  });

  it('passes a topic as the bridge creates it: factor 3, min.insync.replicas 2', async () => {
    const { code, report } = await doctorOn(3, '2');
    assert.deepEqual(notOk(report), []);
    assert.equal(code, 0);
    assert.match(found(report, 'kafka.reachable'), /^3 brokers, /);
    assert.equal(found(report, 'kafka.topic.replication'), 'replication factor 3 on 3 brokers, min.insync.replicas 2');
    assert.match(found(report, 'kafka.clock'), /^agrees with the cluster's \(KRaft quorum leader [123]\)/);
  });

  it('the bridge creates its topics durable on three brokers: factor 3 and min.insync.replicas 2, which status shows, with no warning', async () => {
    const source = uniqueName('test:durable');
    const topic = uniqueName('test.durable');
    const progressTopic = uniqueName('test.progress');
    const env = { REDIS_URL: bed.redisUrl, KAFKA_BROKERS: bed.kafkaBrokers, CDR_SOURCE_KEY: source, KAFKA_TOPIC: topic, KAFKA_PROGRESS_TOPIC: progressTopic, SCHEMA_REGISTRY_URL: '', HTTP_PORT: '0' };
    const bridge = BridgeProcess.run(env);
    try {
      await bridge.waitForLog('created topics', 120_000);
      for (const t of [topic, progressTopic]) {
        assert.ok((await replicaCounts(admin, t)).every((n) => n === 3), `${t}: three replicas of every partition`);
        assert.equal((await topicConfig(admin, t, ['min.insync.replicas'])).get('min.insync.replicas'), '2', `${t}: min.insync.replicas 2`);
      }
      const { code, stdout, stderr } = await runCli(['status', '--json'], env);
      assert.equal(code, 0, stderr);
      const topicStatus = (JSON.parse(stdout) as { topic: { replicationFactor: number; minInsyncReplicas: number; warning?: string } }).topic;
      assert.deepEqual([topicStatus.replicationFactor, topicStatus.minInsyncReplicas, topicStatus.warning], [3, 2, undefined]);
      assert.ok(!bridge.logs.some((l) => /loss loses it/.test(l.msg)), 'no durability warning');
    } finally {
      assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    }
  });
});
