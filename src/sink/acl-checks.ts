// Whether the bridge's principal may do what the bridge does, asked without doing it:
// - topics: Metadata returns the operations the asking principal is allowed on each topic
//   (KIP-430), super users and wildcard ACLs included;
// - creating topics: DescribeCluster returns the principal's operations on the cluster;
// - the transactional id: DescribeAcls when the principal may read ACLs; otherwise
//   FindCoordinator for the id, which needs Describe on it (Write implies Describe, so a
//   refusal is a FAIL, and an answer says only "Describe allowed": warn, cannot tell).
// Never InitProducerId: it would fence the bridge that leads.

import { fail, ok, warn, type CheckResult } from '../check';
import { allowedOperations, KafkaCode, type KafkaWire } from './kafka-wire';
import type { KafkaCheckSettings } from './kafka-checks';

const Op = { ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DESCRIBE: 8 } as const;
const CLUSTER_ACTION = 9;
const OP_NAMES: Record<number, string> = { 2: 'All', 3: 'Read', 4: 'Write', 5: 'Create', 8: 'Describe' };
const Resource = { TOPIC: 2, CLUSTER: 4, TRANSACTIONAL_ID: 5 } as const;

/** Topic error codes and authorized-operation bit fields from the caller's Metadata request. */
interface TopicAnswers {
  cdr: number | undefined;
  progress: number | undefined;
}

export async function checkAcls(wire: KafkaWire, settings: KafkaCheckSettings, codes: TopicAnswers, bits: { cdr: number | undefined; progress: number | undefined }): Promise<CheckResult[]> {
  const out: CheckResult[] = [topicAcl('kafka.acl.topic', settings.kafkaTopic, codes.cdr, bits.cdr, [Op.DESCRIBE, Op.WRITE])];
  if (settings.progressTopic !== undefined) out.push(topicAcl('kafka.acl.progress-topic', settings.progressTopic, codes.progress, bits.progress, [Op.DESCRIBE, Op.WRITE, Op.READ]));
  const missing = [codes.cdr, ...(settings.progressTopic !== undefined ? [codes.progress] : [])].some((c) => c === KafkaCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (settings.kafkaCreateTopic && missing) out.push(await createAcl(wire));
  out.push(await transactionalIdAcl(wire, settings.transactionalId, settings.kafkaSaslUsername));
  return out;
}

function topicAcl(name: string, topic: string, code: number | undefined, bits: number | undefined, needed: number[]): CheckResult {
  const wanted = needed.map((o) => OP_NAMES[o]).join('+');
  if (code === KafkaCode.TOPIC_AUTHORIZATION_FAILED) return fail(name, `no operation allowed on topic "${topic}"`, `grant the bridge's principal ${wanted} on the topic`);
  // A topic that does not exist yet reports no operations; Create decides (checked apart).
  if (code !== KafkaCode.NONE || bits === undefined) return ok(name, `topic "${topic}" does not exist yet`);
  if (bits === -2147483648) return warn(name, `the broker does not report authorized operations for "${topic}"`, `make sure the bridge's principal has ${wanted} on the topic`);
  const allowed = allowedOperations(bits);
  const lacking = needed.filter((o) => !allowed.has(o));
  if (lacking.length > 0) return fail(name, `not allowed ${lacking.map((o) => OP_NAMES[o]).join('+')} on topic "${topic}"`, `grant the bridge's principal ${wanted} on the topic (kafka-acls --add --topic ${topic} --operation ...)`);
  return ok(name, `${wanted} allowed on topic "${topic}"`);
}

async function createAcl(wire: KafkaWire): Promise<CheckResult> {
  const name = 'kafka.acl.create';
  const reply = await wire.ask(wire.kafka.describeClusterV1.api, [true, 1]);
  if (reply.errorCode === KafkaCode.NONE && allowedOperations(reply.clusterAuthorizedOperations).has(Op.CREATE)) return ok(name, 'Create allowed on the cluster (the bridge creates missing topics)');
  // Create on the topic names themselves also works, and is invisible before they exist.
  return warn(name, 'Create is not allowed on the cluster; cannot tell whether it is on the topic names', 'create the topics beforehand, or grant the bridge\'s principal Create on them');
}

async function transactionalIdAcl(wire: KafkaWire, id: string, saslUser: string | undefined): Promise<CheckResult> {
  const name = 'kafka.acl.transactional-id';
  const principal = `User:${saslUser ?? 'ANONYMOUS'}`;
  const acls = await wire.ask(wire.kafka.describeAclsV3.api, [{
    resourceType: Resource.TRANSACTIONAL_ID, resourceName: id, resourcePatternType: 2 /* MATCH */,
    principal: null, host: null, operation: 1 /* ANY */, permissionType: 1 /* ANY */,
  }]).catch(() => undefined);
  if (acls?.errorCode === KafkaCode.SECURITY_DISABLED) return ok(name, 'the cluster has no authorizer: every principal may use any transactional id');
  if (acls?.errorCode === KafkaCode.NONE) {
    const mine = acls.resources.flatMap((r) => r.acls).filter((a) => (a.principal === principal || a.principal === 'User:*') && (a.operation === Op.WRITE || a.operation === Op.ALL));
    if (mine.some((a) => a.permissionType === 2)) return fail(name, `an ACL denies ${principal} Write on transactional id "${id}"`, 'remove the deny, or set KAFKA_TRANSACTIONAL_ID to an id the principal may use');
    if (mine.some((a) => a.permissionType === 3)) return ok(name, `${principal} may Write transactional id "${id}"`);
    if (await unrestricted(wire, principal)) return ok(name, `${principal} is not bound by ACLs (a super user): it may use transactional id "${id}"`);
    return warn(name, `no ACL allows ${principal} Write on transactional id "${id}" (fine only for a super user)`, `grant it: kafka-acls --add --allow-principal ${principal} --operation Write --operation Describe --transactional-id '${id}'`);
  }
  // No right to read ACLs: ask for the id's coordinator, which needs Describe on it.
  const coordinator = await wire.ask(wire.kafka.findCoordinatorV6.api, [1 /* transaction */, [id]]);
  const code = coordinator.coordinators[0]?.errorCode ?? KafkaCode.NONE;
  if (code === KafkaCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) {
    return fail(name, `${principal} may not use transactional id "${id}" (FindCoordinator refused)`, `grant Write and Describe on it: kafka-acls --add --allow-principal ${principal} --operation Write --operation Describe --transactional-id '${id}'`);
  }
  return warn(name, `${principal} may Describe transactional id "${id}"; whether it may Write cannot be told without DescribeAcls`, `make sure ${principal} has Write on the transactional id`);
}

/**
 * A super user (or any principal when allow.everyone.if.no.acl.found applies) is allowed
 * ClusterAction on the cluster without an ACL saying so; ClusterAction is what brokers use
 * among themselves, and is otherwise granted only by an explicit ACL, which we can read.
 */
async function unrestricted(wire: KafkaWire, principal: string): Promise<boolean> {
  const cluster = await wire.ask(wire.kafka.describeClusterV1.api, [true, 1]);
  if (cluster.errorCode !== KafkaCode.NONE || !allowedOperations(cluster.clusterAuthorizedOperations).has(CLUSTER_ACTION)) return false;
  const acls = await wire.ask(wire.kafka.describeAclsV3.api, [{
    resourceType: Resource.CLUSTER, resourceName: null, resourcePatternType: 1 /* ANY */,
    principal: null, host: null, operation: 1 /* ANY */, permissionType: 1 /* ANY */,
  }]);
  const granted = acls.resources.flatMap((r) => r.acls).some((a) => (a.principal === principal || a.principal === 'User:*') && (a.operation === CLUSTER_ACTION || a.operation === Op.ALL));
  return !granted;
}
