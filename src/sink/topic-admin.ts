// Topic administration over @platformatic/kafka's Admin: create topics and wait until they
// can be used, read a topic's offsets, replicas and settings. For the bridge's own topics
// (./topics.ts), `status`, the readers and the tests' setup alike.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ClusterMetadata } from '@platformatic/kafka';
import { loadPlatformatic } from './platformatic';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** The broker's default.replication.factor when omitted. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

/**
 * Creates the topics (one already there counts as made: another bridge may be starting too)
 * and waits until every partition of each has a leader, so a produce or fetch right after works.
 */
export async function createTopics(admin: Admin, specs: readonly TopicSpec[], timeoutMs = 30_000): Promise<void> {
  const { findErrorBy } = await loadPlatformatic();
  for (const spec of specs) {
    try {
      await admin.createTopics({
        topics: [{ topic: spec.topic, partitions: spec.partitions, replicas: spec.replicationFactor ?? -1 }],
        configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
      });
    } catch (err) {
      if (!findErrorBy(err as Error, 'apiId', 'TOPIC_ALREADY_EXISTS')) throw err;
    }
  }
  await waitForLeaders(admin, specs.map((s) => s.topic), timeoutMs);
}

/** Waits until the metadata shows a leader for every partition of every topic named. */
export async function waitForLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<ClusterMetadata> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      // A topic just created may still be unknown to the broker asked: that is retried here.
      const metadata = await admin.metadata({ topics: [...topics], forceUpdate: true, retries: 0 });
      const led = topics.every((t) => {
        const meta = metadata.topics.get(t);
        return meta !== undefined && meta.partitionsCount > 0 && meta.partitions.every((p) => p !== undefined && p.leader >= 0);
      });
      if (led) return metadata;
      last = new Error('a partition has no leader yet');
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} had no leader for every partition after ${timeoutMs} ms: ${(last as Error).message}`);
    await sleep(100);
  }
}

export interface PartitionOffsets {
  partition: number;
  /** The log start offset. */
  low: bigint;
  /** The last stable offset: the end as a read_committed reader sees it. */
  high: bigint;
}

/** Each partition's start and (read_committed) end offsets, in partition order. */
export async function partitionOffsets(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
  const { FetchIsolationLevels, ListOffsetTimestamps } = await loadPlatformatic();
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const ask = async (timestamp: bigint): Promise<Map<number, bigint>> => {
    const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }));
    const reply = await admin.listOffsets({ topics: [{ name: topic, partitions }], isolationLevel: FetchIsolationLevels.READ_COMMITTED });
    return new Map((reply[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  };
  const [low, high] = await Promise.all([ask(ListOffsetTimestamps.EARLIEST), ask(ListOffsetTimestamps.LATEST)]);
  return Array.from({ length: count }, (_, partition) => ({ partition, low: low.get(partition) ?? 0n, high: high.get(partition) ?? 0n }));
}

/** How many brokers the cluster has, as its metadata says. */
export async function brokerCount(admin: Admin): Promise<number> {
  return (await admin.metadata({ topics: [], forceUpdate: true })).brokers.size;
}

/** The topic's replica counts, one per partition. */
export async function replicaCounts(admin: Admin, topic: string): Promise<number[]> {
  const meta = (await admin.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic);
  return (meta?.partitions ?? []).map((p) => p.replicas.length);
}

/** The topic's effective values of the settings named (a setting the broker does not report is left out). */
export async function topicConfig(admin: Admin, topic: string, names: readonly string[]): Promise<Map<string, string>> {
  const { ConfigResourceTypes } = await loadPlatformatic();
  const reply = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [...names] }] });
  const out = new Map<string, string>();
  for (const c of reply[0]?.configs ?? []) if (typeof c.value === 'string') out.set(c.name, c.value);
  return out;
}
