// The local clock against the cluster's, read without writing anything. Kafka's protocol has
// no Date header, and the side-effect-free ways to see a broker's clock are few: a produce
// (to the CDR topic: not harmless; to a check topic of our own: a topic created and written
// by a doctor) or a record with LogAppendTime (only if the topic has it). DescribeQuorum
// (KIP-836, Kafka 3.3+) is read-only: the KRaft quorum leader stamps, with its own clock,
// when each voter and observer (every broker) last fetched the metadata log — which they do
// continuously, so the newest stamp trails the leader's "now" by a fetch wait at most.
// The quorum leader is a controller: on clusters with separate controller nodes this is their
// clock, which production keeps in step with the brokers' by the same NTP.

import { fail, firstLine, ok, warn, type CheckResult } from '../check';
import { KafkaCode, type KafkaWire } from './kafka-wire';

/** Beyond this the clocks disagree enough to mislead: CreateTime timestamps, time-based retention, lag in seconds. */
export const CLOCK_WARN_MS = 10_000;
/** How far the newest fetch stamp can trail the leader's now (a KRaft fetch waits up to 500 ms) plus the round trip. */
const STAMP_SLACK_MS = 2_000;

export async function checkClock(wire: KafkaWire, topicConfigs: Map<string, string> | undefined): Promise<CheckResult> {
  const name = 'kafka.clock';
  const before = Date.now();
  let reply;
  try {
    reply = await wire.ask(wire.kafka.describeQuorumV2.api, [[{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }]]);
  } catch (err) {
    return warn(name, `cannot read the cluster's clock (DescribeQuorum: ${firstLine(err)})`, 'keep this host\'s clock in step with the brokers\' (NTP)');
  }
  const after = Date.now();
  const partition = reply.topics[0]?.partitions[0];
  if (reply.errorCode !== KafkaCode.NONE || !partition || partition.errorCode !== KafkaCode.NONE) {
    const code = reply.errorCode || partition?.errorCode;
    const why = code === KafkaCode.CLUSTER_AUTHORIZATION_FAILED ? 'not allowed to Describe the cluster' : `Kafka error ${code}`;
    return warn(name, `cannot read the cluster's clock (DescribeQuorum: ${why})`, 'keep this host\'s clock in step with the brokers\' (NTP)');
  }
  const stamps = [...partition.currentVoters, ...partition.observers].map((r) => Number(r.lastFetchTimestamp)).filter((t) => t > 0);
  if (stamps.length === 0) return warn(name, 'the quorum reports no fetch times', 'keep this host\'s clock in step with the brokers\' (NTP)');
  const newest = Math.max(...stamps);
  // The leader stamps its own entry with its now; the others trail it by a fetch wait at most.
  // So the leader's now, while we asked (between before and after), was in [newest, newest + slack].
  let skew = 0;
  if (newest > after) skew = newest - after; // the cluster is ahead
  else if (newest + STAMP_SLACK_MS < before) skew = -(before - newest - STAMP_SLACK_MS); // behind, beyond what a fetch wait explains
  const gap = Math.round(newest - (before + after) / 2);
  const found = skew === 0
    ? `agrees with the cluster's (KRaft quorum leader ${partition.leaderId}): its newest stamp is ${gap} ms from this host's now, round trip ${after - before} ms`
    : `the cluster's clock is ${Math.abs(skew)} ms ${skew > 0 ? 'ahead of' : 'behind'} this host's (KRaft quorum leader ${partition.leaderId})`;
  // CreateTime records too far from the broker's clock are refused outright (Kafka 3.6+, KIP-937).
  const limit = Number(topicConfigs?.get(skew > 0 ? 'message.timestamp.before.max.ms' : 'message.timestamp.after.max.ms') ?? 'NaN');
  const createTime = (topicConfigs?.get('message.timestamp.type') ?? 'CreateTime') === 'CreateTime';
  if (createTime && Number.isFinite(limit) && Math.abs(skew) > limit) {
    return fail(name, `${found}: beyond the topic's ${skew > 0 ? 'message.timestamp.before.max.ms' : 'message.timestamp.after.max.ms'}=${limit}, the broker refuses the bridge's records`, 'set this host\'s clock right (NTP)');
  }
  if (Math.abs(skew) > CLOCK_WARN_MS) return warn(name, found, 'set this host\'s clock right (NTP): CDR timestamps and time-based retention use it');
  return ok(name, found);
}
