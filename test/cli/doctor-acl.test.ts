// `cdr-bridge doctor` on a broker with ACLs (StandardAuthorizer, SASL users) and with a schema
// registry, this test's own stack: a user without Write on the topic or the transactional id
// is named (FAIL), one with what the bridge needs passes, nothing is initialised on the way;
// a subject whose latest schema is incompatible with schemas/cdr.avsc is a FAIL.

import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Acl, Admin } from '@platformatic/kafka';
import type { DoctorReport } from '../../src/bridge/doctor';
import { cdrSchemaText } from '../../src/codec/cdr';
import { SchemaRegistry, valueSubject } from '../../src/codec/schema-registry';
import { openAdmin } from '../../src/sink/kafka-client';
import { KafkaWire } from '../../src/sink/kafka-wire';
import { loadPlatformatic, type Platformatic } from '../../src/sink/platformatic';
import { createTopics } from '../../src/sink/topic-admin';
import { runCli } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { addSaslListeners } from '../support/sasl-listener';
import { uniqueName } from '../support/services';

let stack: OwnStack;
let admin: Admin;
let kafka: Platformatic;
let saslBrokers: string;
const users = { reader: 'reader-pw-1', writer: 'writer-pw-1' };

before(async () => {
  stack = await OwnStack.up({ registry: true });
  // ACLs on; the PLAINTEXT listeners (clients of this test, and the controller) are ANONYMOUS, a super user.
  appendFileSync(path.join(stack.env.STACK_DATA_DIR ?? assert.fail('no STACK_DATA_DIR'), 'kafka', 'server.properties'), [
    '',
    '# Added by test/cli/doctor-acl.test.ts.',
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users=User:ANONYMOUS',
    '',
  ].join('\n'));
  saslBrokers = (await addSaslListeners(stack, users)).sasl;
  admin = await openAdmin(stack.kafka());
  kafka = await loadPlatformatic();
}, { timeout: 500_000 });

after(async () => {
  await admin?.close();
  await stack?.down();
}, { timeout: 120_000 });

function notOk(report: DoctorReport): string[] {
  return report.checks.filter((c) => c.verdict !== 'ok').map((c) => `${c.verdict} ${c.name}`);
}

function found(report: DoctorReport, name: string): string {
  return (report.checks.find((c) => c.name === name) ?? assert.fail(`no check ${name}`)).found;
}

async function doctor(env: Record<string, string>): Promise<{ code: number | null; report: DoctorReport }> {
  const { code, stdout, stderr } = await runCli(['doctor', '--json'], env);
  assert.equal(stderr, '');
  return { code, report: JSON.parse(stdout) as DoctorReport };
}

function allow(principal: string, resourceType: Acl['resourceType'], resourceName: string, ...operations: Acl['operation'][]): Acl[] {
  return operations.map((operation) => ({ resourceType, resourceName, resourcePatternType: kafka.ResourcePatternTypes.LITERAL, principal, host: '*', operation, permissionType: kafka.AclPermissionTypes.ALLOW }));
}

function env(source: string, topic: string, extra: Record<string, string> = {}): Record<string, string> {
  return { REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers, CDR_SOURCE_KEY: source, KAFKA_TOPIC: topic, SCHEMA_REGISTRY_URL: '', ...extra };
}

describe('cdr-bridge doctor: ACLs and the schema registry', () => {
  it('FAILs a SASL user without Write on the topic or the transactional id; a user with them passes', async () => {
    const source = uniqueName('test:acl');
    const topic = uniqueName('test.acl');
    const txnId = `cdr-bridge:${source}`;
    const progress = `${topic}.progress`;
    await createTopics(admin, [{ topic, partitions: 1 }, { topic: progress, partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    const { DESCRIBE, READ, WRITE, DESCRIBE_CONFIGS } = kafka.AclOperations;
    const { TOPIC, TRANSACTIONAL_ID, CLUSTER } = kafka.ResourceTypes;
    await admin.createAcls({ creations: [
      ...allow('User:reader', TOPIC, topic, DESCRIBE, READ),
      ...allow('User:reader', TOPIC, progress, DESCRIBE, READ),
      ...allow('User:writer', TOPIC, topic, DESCRIBE, WRITE, DESCRIBE_CONFIGS),
      ...allow('User:writer', TOPIC, progress, DESCRIBE, WRITE, READ, DESCRIBE_CONFIGS),
      ...allow('User:writer', TRANSACTIONAL_ID, txnId, WRITE, DESCRIBE),
      ...allow('User:writer', CLUSTER, 'kafka-cluster', DESCRIBE),
    ] });
    const sasl = (user: keyof typeof users) => env(source, topic, { KAFKA_PROGRESS_TOPIC: progress, KAFKA_BROKERS: saslBrokers, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: user, KAFKA_SASL_PASSWORD: users[user] });

    const reader = await doctor(sasl('reader'));
    assert.equal(reader.code, 1);
    assert.deepEqual(notOk(reader.report), ['warn kafka.topic.config', 'FAIL kafka.acl.topic', 'FAIL kafka.acl.progress-topic', 'FAIL kafka.acl.transactional-id', 'warn kafka.clock']);
    assert.equal(found(reader.report, 'kafka.acl.topic'), `not allowed Write on topic "${topic}"`);
    assert.equal(found(reader.report, 'kafka.acl.progress-topic'), `not allowed Write on topic "${progress}"`);
    assert.equal(found(reader.report, 'kafka.acl.transactional-id'), `User:reader may not use transactional id "${txnId}" (FindCoordinator refused)`);
    assert.match(found(reader.report, 'kafka.clock'), /not allowed to Describe the cluster/);

    const writer = await doctor(sasl('writer'));
    assert.deepEqual(notOk(writer.report), []);
    assert.equal(writer.code, 0);
    assert.equal(found(writer.report, 'kafka.acl.topic'), `Describe+Write allowed on topic "${topic}"`);
    assert.equal(found(writer.report, 'kafka.acl.progress-topic'), `Describe+Write+Read allowed on topic "${progress}"`);
    assert.equal(found(writer.report, 'kafka.acl.transactional-id'), `User:writer may Write transactional id "${txnId}"`);

    // Nothing was initialised: the coordinators know no producer of that id.
    const wire = await KafkaWire.open({ kafkaBrokers: [stack.kafkaBrokers], kafkaClientId: 'doctor-test', kafkaSaslMechanism: undefined, kafkaSaslUsername: undefined, kafkaSaslPassword: undefined, kafkaSsl: false, kafkaSslCaFile: undefined });
    try {
      const reply = await wire.ask(wire.kafka.listTransactionsV1.api, [[], [], -1n, null]);
      assert.equal(reply.errorCode, 0);
      assert.deepEqual(reply.transactionStates.filter((t) => t.transactionalId === txnId), [], 'no producer was initialised with the id');
    } finally {
      await wire.close();
    }
  });

  it('FAILs a registry subject whose latest schema is incompatible with schemas/cdr.avsc; ok once it holds the bridge\'s own', async () => {
    const registryUrl = stack.env.SCHEMA_REGISTRY_URL ?? assert.fail('no registry');
    const registry = new SchemaRegistry({ schemaRegistryUrl: registryUrl, schemaRegistryUser: undefined, schemaRegistryPassword: undefined });
    const incompatible = uniqueName('test.incompat');
    await registry.register(valueSubject(incompatible), '{"type":"string"}');
    // A fresh Apicurio answers its first compatibility check slowly (class loading, JIT): more
    // than the doctor's 10 s on a loaded machine. Warm that path up so the test sees the verdict.
    const patient = new SchemaRegistry({ schemaRegistryUrl: registryUrl, schemaRegistryUser: undefined, schemaRegistryPassword: undefined }, 120_000);
    assert.equal((await patient.compatibleWithLatest(valueSubject(incompatible), cdrSchemaText))?.compatible, false);
    const bad = await doctor(env(uniqueName('test:reg'), incompatible, { SCHEMA_REGISTRY_URL: registryUrl }));
    assert.equal(bad.code, 1);
    assert.deepEqual(notOk(bad.report), ['FAIL registry']);
    assert.equal(found(bad.report, 'registry'), `${registryUrl}: schemas/cdr.avsc is incompatible with the latest version of "${incompatible}-value"`);

    const fresh = uniqueName('test.fresh');
    const empty = await doctor(env(uniqueName('test:reg'), fresh, { SCHEMA_REGISTRY_URL: registryUrl }));
    assert.equal(empty.code, 0);
    assert.match(found(empty.report, 'registry'), /subject "test\.fresh-.*-value" is new; the bridge registers schemas\/cdr\.avsc at start$/);
    const id = await registry.register(valueSubject(fresh), cdrSchemaText);
    const registered = await doctor(env(uniqueName('test:reg'), fresh, { SCHEMA_REGISTRY_URL: registryUrl }));
    assert.equal(registered.code, 0);
    assert.match(found(registered.report, 'registry'), new RegExp(`is registered under "${fresh.replace(/\./g, '\\.')}-value" \\(id ${id}\\)$`));
  });
});
