// The CDR topic's settings that decide whether a confirmed CDR stays confirmed: replicas and
// min.insync.replicas, cleanup.policy, retention, the timestamp type, and max.message.bytes
// against the bridge's request size. Read with Metadata and DescribeConfigs only.

import { fail, ok, warn, type CheckResult } from '../check';

export interface TopicFacts {
  name: string;
  /** Replica count of each partition, in partition order. */
  replicas: number[];
  /** In-sync replica count of each partition. */
  inSync: number[];
  /** The topic's effective configuration (DescribeConfigs), or the reason it could not be read. */
  configs: Map<string, string> | string;
}

export interface TopicLimits {
  brokers: number;
  /** KAFKA_MAX_REQUEST_BYTES: the most bytes of messages the bridge puts in one produce request. */
  maxRequestBytes: number;
  /** The replication factor the bridge asks for when it creates topics (issue 9), when the setting exists. */
  replicationFactor: number | undefined;
}

const DAY_MS = 24 * 3600 * 1000;
/** Retention shorter than this warns: a consumer that is down over a long weekend must not lose CDRs. */
export const SHORT_RETENTION_MS = 3 * DAY_MS;
/** retention.bytes per partition below this warns: size-bound retention drops CDRs by volume, whatever their age. */
export const SMALL_RETENTION_BYTES = 1024 ** 3;

export function checkTopic(topic: TopicFacts, limits: TopicLimits): CheckResult[] {
  const out = [replicationCheck(topic, limits)];
  if (typeof topic.configs === 'string') {
    out.push(warn('kafka.topic.config', `cannot read the configuration of "${topic.name}": ${topic.configs}`, 'grant the bridge\'s principal DescribeConfigs on the topic, or check cleanup.policy, retention and max.message.bytes by hand'));
    return out;
  }
  const c = topic.configs;
  out.push(cleanupCheck(c), retentionCheck(c), timestampCheck(c), sizeCheck(c, limits.maxRequestBytes));
  return out;
}

/**
 * Fewer replicas than the cluster can give (up to 3) loses confirmed CDRs with one disk: FAIL
 * for a single replica, warn for two. With three or more, acks=all only protects when
 * min.insync.replicas is at least 2. A single-broker cluster cannot do better than one replica
 * and is reported as it is (ok): that is a test bed, or a choice made elsewhere.
 */
function replicationCheck(topic: TopicFacts, limits: TopicLimits): CheckResult {
  const name = 'kafka.topic.replication';
  const rf = Math.min(...topic.replicas);
  const possible = Math.min(3, limits.brokers);
  const wanted = limits.replicationFactor !== undefined ? Math.min(limits.replicationFactor, limits.brokers) : possible;
  const minIsr = typeof topic.configs === 'string' ? undefined : Number(topic.configs.get('min.insync.replicas') ?? '1');
  const unclean = typeof topic.configs === 'string' ? undefined : topic.configs.get('unclean.leader.election.enable');
  const underReplicated = topic.inSync.filter((n, i) => n < (topic.replicas[i] ?? 0)).length;
  const found = `replication factor ${rf} on ${limits.brokers} broker${limits.brokers === 1 ? '' : 's'}, min.insync.replicas ${minIsr ?? '?'}`;
  if (rf < wanted && rf === 1) return fail(name, `${found}: one lost disk loses confirmed CDRs`, `raise the topic's replication to ${wanted} (kafka-reassign-partitions) and set min.insync.replicas=2`);
  if (rf < wanted) return warn(name, `${found}: the cluster could keep ${wanted} copies`, `raise the topic's replication to ${wanted}`);
  if (unclean === 'true') return fail(name, `${found}, unclean.leader.election.enable=true: an out-of-sync replica may lead and drop confirmed CDRs`, 'set unclean.leader.election.enable=false on the topic');
  if (rf >= 3 && minIsr !== undefined && minIsr < 2) return warn(name, `${found}: acks=all is satisfied by the leader alone`, 'set min.insync.replicas=2 on the topic');
  if (underReplicated > 0) return warn(name, `${found}; ${underReplicated} partition(s) under-replicated now`, 'bring the missing brokers back');
  return ok(name, rf === 1 ? `${found} (a single broker can keep one copy only)` : found);
}

function cleanupCheck(c: Map<string, string>): CheckResult {
  const name = 'kafka.topic.cleanup-policy';
  const policy = c.get('cleanup.policy') ?? 'delete';
  // Compaction keeps only the last record per key: CDRs of one call ref would replace each other.
  if (policy.split(',').map((p) => p.trim()).includes('compact')) {
    return fail(name, `cleanup.policy=${policy}: compaction keeps one record per key and deletes the other CDRs`, 'use a topic with cleanup.policy=delete (compaction cannot be undone on records already cleaned)');
  }
  return ok(name, `cleanup.policy=${policy}`);
}

function retentionCheck(c: Map<string, string>): CheckResult {
  const name = 'kafka.topic.retention';
  const ms = Number(c.get('retention.ms') ?? String(7 * DAY_MS));
  const bytes = Number(c.get('retention.bytes') ?? '-1');
  const found = `retention.ms=${ms === -1 ? 'forever' : `${ms} (${describeMs(ms)})`}, retention.bytes=${bytes === -1 ? 'unbounded' : bytes}`;
  const problems: string[] = [];
  if (ms !== -1 && ms < SHORT_RETENTION_MS) problems.push(`records older than ${describeMs(ms)} are deleted, read or not`);
  if (bytes !== -1 && bytes < SMALL_RETENTION_BYTES) problems.push(`each partition keeps only ${bytes} bytes (about ${Math.floor(bytes / 300)} CDRs)`);
  if (problems.length > 0) return warn(name, `${found}: ${problems.join('; ')}`, `make sure every consumer reads within that; keep at least ${describeMs(SHORT_RETENTION_MS)} and no size bound below 1 GiB per partition`);
  return ok(name, found);
}

function timestampCheck(c: Map<string, string>): CheckResult {
  const type = c.get('message.timestamp.type') ?? 'CreateTime';
  const whose = type === 'LogAppendTime' ? 'the broker\'s clock' : 'the bridge\'s clock at publish';
  return ok('kafka.topic.timestamps', `message.timestamp.type=${type} (record times are ${whose})`);
}

function sizeCheck(c: Map<string, string>, maxRequestBytes: number): CheckResult {
  const name = 'kafka.topic.max-message-bytes';
  const max = Number(c.get('max.message.bytes') ?? '1048588');
  // The broker measures a whole record batch against max.message.bytes; the bridge fills a
  // request, one batch per partition, up to KAFKA_MAX_REQUEST_BYTES.
  if (max < maxRequestBytes) {
    // A batch carries ~100 bytes of headers beyond its records; keep a margin for them.
    const fits = max - 1024;
    const action = fits >= 1024 ? `set KAFKA_MAX_REQUEST_BYTES to at most ${fits}, or raise the topic's max.message.bytes` : 'raise the topic\'s max.message.bytes (Kafka\'s default is 1048588): no request size of the bridge fits';
    return fail(name, `max.message.bytes=${max} is below KAFKA_MAX_REQUEST_BYTES=${maxRequestBytes}: the broker refuses the bridge's larger batches, and it retries them forever`, action);
  }
  return ok(name, `max.message.bytes=${max} ≥ KAFKA_MAX_REQUEST_BYTES=${maxRequestBytes}`);
}

function describeMs(ms: number): string {
  if (ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms >= 3600_000) return `${(ms / 3600_000).toFixed(1)} h`;
  return `${Math.round(ms / 1000)} s`;
}
