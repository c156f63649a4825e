// The topics the bridge writes: the CDR topic and the progress topic. Created durable when the
// bridge creates them (replicated, min.insync.replicas 2 at factor 3), and read back at start so
// the bridge can say when one broker's loss could lose a CDR it already confirmed to Redis.

import type { Admin } from '@platformatic/kafka';
import type { Logger } from '../log';
import { brokerCount, createTopics, replicaCounts, topicConfig } from './topic-admin';

export interface TopicSettings {
  kafkaTopic: string;
  kafkaProgressTopic: string;
  kafkaCreateTopic: boolean;
  kafkaTopicPartitions: number;
  kafkaTopicReplicationFactor: number | undefined;
}

export interface Durability {
  replicationFactor: number;
  minInsyncReplicas: number;
  /** Set when one broker's loss could lose a confirmed CDR; the bridge logs it once. */
  warning?: string;
}

/** Creates what is missing, then reports the CDR topic's durability. */
export async function ensureTopics(admin: Admin, settings: TopicSettings, log: Logger): Promise<Durability> {
  const existing = new Set(await admin.listTopics());
  const missing = [settings.kafkaTopic, settings.kafkaProgressTopic].filter((t) => !existing.has(t));
  if (missing.length > 0) {
    if (!settings.kafkaCreateTopic) {
      throw new Error(`topic "${missing.join('", "')}" does not exist and KAFKA_CREATE_TOPIC is false`);
    }
    const factor = settings.kafkaTopicReplicationFactor ?? Math.min(3, await brokerCount(admin));
    const minIsr = factor >= 3 ? 2 : 1;
    const durable = { 'min.insync.replicas': String(minIsr) };
    await createTopics(admin, missing.map((topic) =>
      topic === settings.kafkaProgressTopic
        ? // One small record per transaction; only the last one per transactional id matters.
          { topic, partitions: 1, replicationFactor: factor, configs: { ...durable, 'cleanup.policy': 'compact' } }
        : { topic, partitions: settings.kafkaTopicPartitions, replicationFactor: factor, configs: durable },
    ));
    log.info({ topics: missing, replicationFactor: factor, minInsyncReplicas: minIsr }, 'created topics');
  }
  return durability(admin, settings.kafkaTopic);
}

/** The topic's replication factor (its smallest partition's) and min.insync.replicas. */
export async function durability(admin: Admin, topic: string): Promise<Durability> {
  const replicationFactor = Math.min(...(await replicaCounts(admin, topic)));
  const minInsyncReplicas = Number((await topicConfig(admin, topic, ['min.insync.replicas'])).get('min.insync.replicas') ?? '1');
  const out: Durability = { replicationFactor, minInsyncReplicas };
  // A cluster of one broker can keep one copy only: that is the operator's choice of cluster,
  // not something the topic could do better (doctor rates it the same way).
  const brokers = await brokerCount(admin);
  if (replicationFactor < 2 && brokers > 1) {
    out.warning = `topic "${topic}" has ${replicationFactor} replica on ${brokers} brokers: a confirmed CDR is on one disk, and that broker's loss loses it (recreate it with KAFKA_TOPIC_REPLICATION_FACTOR=3)`;
  } else if (replicationFactor >= 2 && minInsyncReplicas < 2) {
    out.warning = `topic "${topic}" has min.insync.replicas=${minInsyncReplicas}: acks=all may confirm a CDR held by one broker only, and that broker's loss loses it (set min.insync.replicas=2)`;
  }
  return out;
}
