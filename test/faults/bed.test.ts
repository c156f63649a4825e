// The fault bed itself (scripts/stack up --brokers 3): what the fault tests rely on — a topic
// replicated on three nodes, acks=all writes that survive one paused follower, a leader lookup
// that names a live node, and a killed leader replaced, then back in the ISR when restarted.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Admin } from '@platformatic/kafka';
import { partitionOffsets, topicConfig } from '../../src/sink/topic-admin';
import { kafkaNode, OwnStack } from '../support/own-stack';
import { PlainProducer } from '../support/plain-producer';
import { uniqueName, waitFor } from '../support/services';

describe('the three-broker fault bed', () => {
  const bed = OwnStack.attached();
  let admin: Admin;
  let producer: PlainProducer;
  let written = 0;

  before(async () => {
    admin = await bed.patientAdmin();
    producer = await PlainProducer.open(bed.kafka(), { timeout: 10_000, retries: 10 });
  });
  after(async () => {
    await producer.close();
    await admin.close();
  });
  // Whatever a test broke, the next one starts on three running nodes.
  afterEach(() => bed.heal());

  async function partition0(topic: string): Promise<{ leader: number; replicas: number[]; isr: number[] }> {
    const p = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)!.partitions[0]!;
    return { leader: p.leader, replicas: [...p.replicas].sort(), isr: [...p.isr].sort() };
  }

  async function newTopic(): Promise<string> {
    const topic = uniqueName('test.bed');
    await admin.createTopics({ topics: [{ topic, partitions: 1 }] });
    // Every node learns of the topic from the controller in its own time (slowly on a busy
    // machine): until then a metadata request may answer "unknown topic".
    await waitFor(`${topic} on every node`, async () => {
      const p = await partition0(topic).catch(() => undefined);
      return p !== undefined && p.leader > 0 && p.isr.length === 3;
    }, 60_000, 250);
    return topic;
  }

  async function write(topic: string, n: number): Promise<void> {
    const records = Array.from({ length: n }, (_, i) => ({ key: `k${i % 7}`, value: `record ${written + i}` }));
    // acks=all: confirmed only once every member of the ISR (at least min.insync.replicas=2) has it.
    await producer.send(topic, records);
    written += n;
  }

  it('replicates a new topic on all three nodes with min.insync.replicas 2', async () => {
    assert.deepEqual(bed.kafkaNodeIds, [1, 2, 3]);
    const topic = await newTopic();
    const p = await partition0(topic);
    assert.deepEqual(p.replicas, [1, 2, 3]);
    assert.deepEqual(p.isr, [1, 2, 3]);
    assert.equal((await topicConfig(admin, topic, ['min.insync.replicas'])).get('min.insync.replicas'), '2');
    assert.equal(await bed.leaderOf(topic), p.leader, 'scripts/stack leader agrees with the metadata');
  });

  it('keeps confirming acks=all writes while a follower is paused, the paused node out of the ISR', async () => {
    const topic = await newTopic();
    const { leader } = await partition0(topic);
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    await write(topic, 10);
    await bed.pause(kafkaNode(follower));
    // Held until the controller fences the silent node (broker.session.timeout.ms) and the
    // leader drops it from the ISR; then confirmed by the two that remain. Every write is
    // counted: the producer's own retries must carry it, none may fail.
    const failures: string[] = [];
    const heldFrom = Date.now();
    for (let confirmed = 0; confirmed < 3 && failures.length < 3; ) {
      try {
        await write(topic, 50);
        confirmed++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    console.log(`# 3 acks=all writes with a follower paused took ${Date.now() - heldFrom} ms`);
    assert.deepEqual(failures, [], 'every acks=all write with a follower paused was confirmed, none failed');
    const p = await waitFor('the ISR without the paused node', async () => {
      const state = await partition0(topic).catch(() => undefined);
      return state && !state.isr.includes(follower) ? state : undefined;
    }, 30_000, 250);
    assert.deepEqual(p.isr, [1, 2, 3].filter((id) => id !== follower), 'the paused follower left the ISR, the others stayed');
    const named = await bed.leaderOf(topic);
    assert.notEqual(named, follower, 'the leader lookup names a live node');
    assert.equal(named, leader, 'pausing a follower does not move the leadership');
    await bed.resume(kafkaNode(follower));
    await waitFor(`node ${follower} back in the ISR`, async () => (await partition0(topic)).isr.includes(follower), 60_000, 250);
  });

  it('moves the leadership off a killed leader, and takes the node back into the ISR once restarted', async () => {
    const topic = await newTopic();
    const before = await bed.leaderOf(topic);
    await write(topic, 10);
    await bed.kill(kafkaNode(before));
    const after = await waitFor('another node to lead', async () => {
      const id = await bed.leaderOf(topic).catch(() => -1);
      return id > 0 && id !== before ? id : undefined;
    }, 60_000, 250);
    assert.notEqual(after, before);
    await write(topic, 50);
    assert.ok(!(await partition0(topic)).isr.includes(before), 'the killed node is out of the ISR');
    await bed.start(kafkaNode(before));
    await waitFor(`node ${before} back in the ISR`, async () => (await partition0(topic)).isr.includes(before), 60_000, 250);
    const offsets = await partitionOffsets(admin, topic);
    assert.equal(offsets[0]!.high, 60n, 'every confirmed write is in the partition');
  });
});
