// The topic rules of `cdr-bridge doctor` as pure functions, for the cluster shapes a one-node
// test stack cannot show (three brokers and one replica, min.insync.replicas 1 at factor 3,
// under-replicated partitions, unclean leader election); the CLI tests cover the rest.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTopic, type TopicFacts, type TopicLimits } from '../../src/sink/topic-checks';

const limits: TopicLimits = { brokers: 3, maxRequestBytes: 900_000, replicationFactor: undefined };

function topic(replicas: number, inSync: number, configs: Record<string, string> = {}): TopicFacts {
  return { name: 't', replicas: [replicas, replicas, replicas], inSync: [inSync, inSync, inSync], configs: new Map(Object.entries({ 'min.insync.replicas': '2', ...configs })) };
}

function replication(facts: TopicFacts, l = limits): { verdict: string; found: string; action: string } {
  const c = checkTopic(facts, l).find((x) => x.name === 'kafka.topic.replication')!;
  return { verdict: c.verdict, found: c.found, action: c.action };
}

describe('topic replication rules', () => {
  it('FAILs one replica on a three-broker cluster, and says what to raise it to', () => {
    const r = replication(topic(1, 1, { 'min.insync.replicas': '1' }));
    assert.equal(r.verdict, 'FAIL');
    assert.equal(r.found, 'replication factor 1 on 3 brokers, min.insync.replicas 1: one lost disk loses confirmed CDRs');
    assert.match(r.action, /^raise the topic's replication to 3/);
  });

  it('warns two replicas on three brokers, and min.insync.replicas 1 at factor 3', () => {
    assert.equal(replication(topic(2, 2)).verdict, 'warn');
    const r = replication(topic(3, 3, { 'min.insync.replicas': '1' }));
    assert.equal(r.verdict, 'warn');
    assert.match(r.found, /acks=all is satisfied by the leader alone$/);
  });

  it('FAILs unclean leader election; warns under-replicated partitions; ok at factor 3 with min ISR 2', () => {
    assert.equal(replication(topic(3, 3, { 'unclean.leader.election.enable': 'true' })).verdict, 'FAIL');
    const under = replication(topic(3, 2));
    assert.equal(under.verdict, 'warn');
    assert.match(under.found, /3 partition\(s\) under-replicated now$/);
    assert.deepEqual(replication(topic(3, 3)), { verdict: 'ok', found: 'replication factor 3 on 3 brokers, min.insync.replicas 2', action: '' });
  });

  it('takes KAFKA_TOPIC_REPLICATION_FACTOR as the goal when it is set, and one replica as all a single broker can do', () => {
    assert.equal(replication(topic(2, 2), { ...limits, replicationFactor: 2 }).verdict, 'ok');
    assert.equal(replication(topic(1, 1, { 'min.insync.replicas': '1' }), { ...limits, brokers: 1 }).verdict, 'ok');
  });
});
