// The topics the bridge writes: the CDR topic and the progress topic. Created durable when the
// bridge creates them (replicated, min.insync.replicas 2 at factor 3), and read back at start so
// the bridge can say when one broker's loss could lose a CDR it already confirmed to Redis.

import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import type { Logger } from '../log';

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
export async function ensureTopics(kafka: Kafka, settings: TopicSettings, log: Logger): Promise<Durability> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [settings.kafkaTopic, settings.kafkaProgressTopic].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      if (!settings.kafkaCreateTopic) {
        throw new Error(`topic "${missing.join('", "')}" does not exist and KAFKA_CREATE_TOPIC is false`);
      }
      const { brokers } = await admin.describeCluster();
      const factor = settings.kafkaTopicReplicationFactor ?? Math.min(3, brokers.length);
      const minIsr = factor >= 3 ? 2 : 1;
      const durable = [{ name: 'min.insync.replicas', value: String(minIsr) }];
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) =>
          topic === settings.kafkaProgressTopic
            ? // One small record per transaction; only the last one per transactional id matters.
              { topic, numPartitions: 1, replicationFactor: factor, configEntries: [...durable, { name: 'cleanup.policy', value: 'compact' }] }
            : { topic, numPartitions: settings.kafkaTopicPartitions, replicationFactor: factor, configEntries: durable },
        ),
      });
      log.info({ topics: missing, replicationFactor: factor, minInsyncReplicas: minIsr }, 'created topics');
    }
    return await durability(kafka, settings.kafkaTopic);
  } finally {
    await admin.disconnect();
  }
}

/** The topic's replication factor (its smallest partition's) and min.insync.replicas. */
export async function durability(kafka: Kafka, topic: string): Promise<Durability> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = meta.topics[0]?.partitions ?? [];
    const replicationFactor = Math.min(...partitions.map((p) => p.replicas.length));
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }] });
    const minInsyncReplicas = Number(configs.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue ?? '1');
    const out: Durability = { replicationFactor, minInsyncReplicas };
    // A cluster of one broker can keep one copy only: that is the operator's choice of cluster,
    // not something the topic could do better (doctor rates it the same way).
    const { brokers } = await admin.describeCluster();
    if (replicationFactor < 2 && brokers.length > 1) {
      out.warning = `topic "${topic}" has ${replicationFactor} replica on ${brokers.length} brokers: a confirmed CDR is on one disk, and that broker's loss loses it (recreate it with KAFKA_TOPIC_REPLICATION_FACTOR=3)`;
    } else if (replicationFactor >= 2 && minInsyncReplicas < 2) {
      out.warning = `topic "${topic}" has min.insync.replicas=${minInsyncReplicas}: acks=all may confirm a CDR held by one broker only, and that broker's loss loses it (set min.insync.replicas=2)`;
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}
