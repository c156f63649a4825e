// What the bridge needs of Kafka, checked with read-only requests before it publishes: the
// brokers answer (and speak transactions), the CDR topic and the progress topic are fit to
// keep what the bridge confirms, its principal may do what the bridge does, and the clocks agree.
// Nothing is created, written or initialised: a transactional id initialised here would fence
// the bridge that leads.

import { fail, firstLine, ok, warn, type CheckResult } from '../check';
import { checkAcls } from './acl-checks';
import { checkClock } from './broker-clock';
import { innermostError } from './kafka-error';
import { KafkaCode, KafkaWire, type WireSettings } from './kafka-wire';
import { checkTopic, type TopicFacts } from './topic-checks';

export interface KafkaCheckSettings extends WireSettings {
  kafkaTopic: string;
  kafkaCreateTopic: boolean;
  kafkaTopicPartitions: number;
  kafkaMaxRequestBytes: number;
  /** Issue 9's settings, when the Config has them (read defensively by the caller). */
  transactionalId: string;
  /** Checked only when the bridge uses one (issue 9). */
  progressTopic: string | undefined;
  replicationFactor: number | undefined;
}

/** The API keys without which the bridge cannot publish: Produce, InitProducerId, AddPartitionsToTxn, EndTxn. */
const REQUIRED_APIS: [number, string][] = [[0, 'Produce'], [22, 'InitProducerId'], [24, 'AddPartitionsToTxn'], [26, 'EndTxn']];

export async function checkKafka(settings: KafkaCheckSettings): Promise<CheckResult[]> {
  let wire: KafkaWire;
  try {
    wire = await KafkaWire.open(settings);
  } catch (err) {
    return [{ ...fail('kafka.reachable', `cannot reach Kafka at ${settings.kafkaBrokers.join(',')}: ${describeWireError(err)}`, 'check KAFKA_BROKERS, the network, and the SASL/TLS settings'), unreachable: true }];
  }
  try {
    const progressTopic = settings.progressTopic;
    const names = progressTopic !== undefined ? [settings.kafkaTopic, progressTopic] : [settings.kafkaTopic];
    const metadata = await wire.ask(wire.kafka.metadataV12.api, [names, false, true]);
    const brokers = metadata.brokers.length;
    const out: CheckResult[] = [versionCheck(wire.apiVersions, brokers)];
    const cdr = metadata.topics.find((x) => x.name === settings.kafkaTopic);
    const progress = metadata.topics.find((x) => x.name === progressTopic);
    const configs = await topicConfigs(wire, [cdr, progress].filter((t) => t?.errorCode === KafkaCode.NONE).map((t) => t!.name!));

    out.push(presenceCheck('kafka.topic', settings.kafkaTopic, cdr?.errorCode ?? KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, settings, cdr?.partitions.length));
    if (cdr?.errorCode === KafkaCode.NONE) {
      const facts: TopicFacts = {
        name: settings.kafkaTopic,
        replicas: cdr.partitions.map((p) => p.replicaNodes.length),
        inSync: cdr.partitions.map((p) => p.isrNodes.length),
        configs: configs.get(settings.kafkaTopic) ?? 'no reply',
      };
      out.push(...checkTopic(facts, { brokers, maxRequestBytes: settings.kafkaMaxRequestBytes, replicationFactor: settings.replicationFactor }));
    }
    if (progressTopic !== undefined) out.push(progressCheck(settings, progressTopic, progress?.errorCode ?? KafkaCode.UNKNOWN_TOPIC_OR_PARTITION, progress?.partitions.length, configs.get(progressTopic)));
    out.push(...(await checkAcls(wire, settings, { cdr: cdr?.errorCode, progress: progress?.errorCode }, {
      cdr: cdr?.topicAuthorizedOperations,
      progress: progress?.topicAuthorizedOperations,
    })));
    const timestamps = configs.get(settings.kafkaTopic);
    out.push(await checkClock(wire, typeof timestamps === 'string' ? undefined : timestamps));
    return out;
  } catch (err) {
    return [{ ...fail('kafka.reachable', `Kafka at ${settings.kafkaBrokers.join(',')} did not answer a check: ${describeWireError(err)}`, 'check the brokers\' health'), unreachable: true }];
  } finally {
    await wire.close();
  }
}

function versionCheck(apiKeys: { apiKey: number; maxVersion: number }[], brokers: number): CheckResult {
  const name = 'kafka.reachable';
  const max = new Map(apiKeys.map((a) => [a.apiKey, a.maxVersion]));
  const missing = REQUIRED_APIS.filter(([key]) => !max.has(key)).map(([, n]) => n);
  // Produce v3 brought record batches with producer ids, the base of idempotence and transactions (Kafka 0.11).
  if (missing.length > 0 || (max.get(0) ?? 0) < 3) {
    return fail(name, `the brokers do not speak transactions (${missing.length > 0 ? `no ${missing.join(', ')}` : `Produce v${max.get(0)}`})`, 'use Apache Kafka 2.5 or newer');
  }
  return ok(name, `${brokers} broker${brokers === 1 ? '' : 's'}, ${kafkaVersionOf(max)} (Produce v${max.get(0)}, EndTxn v${max.get(26)})`);
}

/** Kafka reports API versions, not its release; a few landmarks bound it from below. */
function kafkaVersionOf(max: Map<number, number>): string {
  if ((max.get(26) ?? 0) >= 5) return 'Kafka 4.0 or newer (transactions V2)';
  if (max.has(68)) return 'Kafka 3.5 or newer';
  if (max.has(55)) return 'Kafka 2.7 or newer (KRaft APIs)';
  return 'Kafka older than 2.7';
}

function presenceCheck(name: string, topic: string, code: number, settings: KafkaCheckSettings, partitions: number | undefined): CheckResult {
  if (code === KafkaCode.NONE) return ok(name, `"${topic}" has ${partitions} partition${partitions === 1 ? '' : 's'}`);
  if (code === KafkaCode.TOPIC_AUTHORIZATION_FAILED) return fail(name, `not allowed to describe "${topic}"`, 'grant the bridge\'s principal Describe and Write on the topic');
  if (code !== KafkaCode.UNKNOWN_TOPIC_OR_PARTITION) return fail(name, `"${topic}": Kafka error ${code}`, 'check the broker\'s log');
  if (settings.kafkaCreateTopic) return ok(name, `"${topic}" does not exist yet; the bridge creates it (${name === 'kafka.topic' ? `${settings.kafkaTopicPartitions} partitions` : '1 partition'}) — run doctor again after to check its settings`);
  return fail(name, `"${topic}" does not exist and KAFKA_CREATE_TOPIC is false`, 'create the topic, or set KAFKA_CREATE_TOPIC=true');
}

/** The small topic the bridge commits its progress to (issue 9): one partition, compacted. */
function progressCheck(settings: KafkaCheckSettings, topic: string, code: number, partitions: number | undefined, configs: Map<string, string> | string | undefined): CheckResult {
  const name = 'kafka.progress-topic';
  if (code !== KafkaCode.NONE) return presenceCheck(name, topic, code, settings, partitions);
  if (partitions !== 1) return fail(name, `"${topic}" has ${partitions} partitions; the bridge keeps its progress in one`, 'point KAFKA_PROGRESS_TOPIC at a topic with one partition (or let the bridge create it)');
  const policy = typeof configs === 'string' || configs === undefined ? undefined : configs.get('cleanup.policy');
  if (policy !== undefined && !policy.includes('compact')) {
    return warn(name, `"${topic}" has cleanup.policy=${policy}: retention may delete the last progress record`, 'set cleanup.policy=compact on it: without its last record a new leader cannot tell which batches in flight Kafka already has');
  }
  return ok(name, `"${topic}": 1 partition${policy ? `, cleanup.policy=${policy}` : ''}`);
}

/** The topics' effective configurations, or the reason they could not be read. */
async function topicConfigs(wire: KafkaWire, topics: string[]): Promise<Map<string, Map<string, string> | string>> {
  const out = new Map<string, Map<string, string> | string>();
  if (topics.length === 0) return out;
  const reply = await wire.ask(wire.kafka.describeConfigsV4.api, [topics.map((t) => ({ resourceType: 2 as const, resourceName: t })), false, false]);
  for (const r of reply.results) {
    if (r.errorCode !== KafkaCode.NONE) out.set(r.resourceName, `Kafka error ${r.errorCode}${r.errorMessage ? ` (${r.errorMessage})` : ''}`);
    else out.set(r.resourceName, new Map(r.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!])));
  }
  return out;
}

/** The innermost cause, on one line. */
export function describeWireError(err: unknown): string {
  return firstLine(innermostError(err));
}
