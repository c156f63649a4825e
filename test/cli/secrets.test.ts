// Credentials work against real services and never show: a password-protected Redis (default
// user and an ACL user), a broker with SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256) and SASL_SSL
// listeners, and a registry client with basic auth, all on this test's own stack. Every run is
// at LOG_LEVEL=debug, and no secret may appear in anything the processes print — on success,
// on wrong credentials, or on a configuration error.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { addSaslListeners, addScramUser } from '../support/sasl-listener';
import { assertAllDelivered } from '../support/scenario';
import { pushAll, uniqueName, waitFor } from '../support/services';
import { makeTestCa } from '../support/test-ca';
import { readTopicUntil } from '../support/topic';

const tag = randomBytes(4).toString('hex');
const secret = {
  redis: `redis-pw-${tag}`,
  acl: `acl-pw-${tag}`,
  plain: `plain-pw-${tag}`,
  scram: `scram-pw-${tag}`,
  registryUser: `registry-user-${tag}`,
  registry: `registry-pw-${tag}`,
  wrong: `wrong-pw-${tag}`,
};

let stack: OwnStack;
let redis: Redis;
let saslBrokers: string;
let saslSslBrokers: string;
let caFile: string;
const bridges: BridgeProcess[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-secrets-'));

before(async () => {
  stack = await OwnStack.up({ registry: true });
  const ca = makeTestCa(dir);
  caFile = ca.caFile;
  const listeners = await addSaslListeners(stack, { bridge: secret.plain }, { keystoreFile: ca.keystoreFile });
  saslBrokers = listeners.sasl;
  saslSslBrokers = listeners.saslSsl ?? assert.fail('no SASL_SSL listener');
  await addScramUser(stack, 'scrammer', secret.scram);
  const setup = stack.redis();
  await setup.call('ACL', 'SETUSER', 'bridge', 'on', `>${secret.acl}`, '~*', '&*', '+@all');
  await setup.config('SET', 'requirepass', secret.redis);
  redis = new Redis(stack.redisUrl, { password: secret.redis, maxRetriesPerRequest: 3 });
}, { timeout: 500_000 });

after(async () => {
  await Promise.all(bridges.map((b) => b.stop('SIGKILL')));
  redis?.disconnect();
  await stack?.down();
  rmSync(dir, { recursive: true, force: true });
}, { timeout: 120_000 });

function assertNoSecrets(what: string, ...texts: string[]): void {
  for (const text of texts) {
    for (const [name, value] of Object.entries(secret)) {
      assert.equal(text.includes(value), false, `${what}: the ${name} secret appears in:\n${text.slice(Math.max(0, text.indexOf(value) - 300), text.indexOf(value) + 100)}`);
    }
  }
}

function baseEnv(source: string, topic: string): Record<string, string> {
  return { REDIS_URL: stack.redisUrl, CDR_SOURCE_KEY: source, KAFKA_TOPIC: topic, HTTP_PORT: '0', LOG_LEVEL: 'debug', SHUTDOWN_TIMEOUT_MS: '3000' };
}

function payloads(n: number, name: string): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ internal_call_ref: `${name}-${i}`, ext: '1001', seq: i }));
}

async function drained(source: string): Promise<void> {
  await waitFor('the lists to drain', async () => (await redis.llen(source)) + (await redis.llen(`${source}:processing`)) === 0, 90_000);
}

describe('credentials: used, and never shown', () => {
  it('a run with an ACL user, SASL PLAIN and registry basic auth delivers everything; no secret in its debug output, in status or in tail', async () => {
    const source = uniqueName('test:secrets');
    const topic = uniqueName('test.secrets');
    const sent = payloads(20, 'acl');
    await pushAll(redis, source, sent);
    const env = {
      ...baseEnv(source, topic),
      REDIS_USERNAME: 'bridge',
      REDIS_PASSWORD: secret.acl,
      KAFKA_BROKERS: saslBrokers,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'bridge',
      KAFKA_SASL_PASSWORD: secret.plain,
      SCHEMA_REGISTRY_URL: stack.env.SCHEMA_REGISTRY_URL ?? assert.fail('no registry'),
      SCHEMA_REGISTRY_USER: secret.registryUser,
      SCHEMA_REGISTRY_PASSWORD: secret.registry,
    };
    const bridge = BridgeProcess.run(env);
    bridges.push(bridge);
    await drained(source);
    // The bridge's connections are the ACL user's, not the default user's.
    const clients = (await redis.client('LIST')) as string;
    const mine = clients.split('\n').filter((l) => / name=cdr-bridge(-take)? /.test(l));
    assert.equal(mine.length, 2, clients);
    assert.ok(mine.every((l) => / user=bridge /.test(l)), clients);

    assertAllDelivered(sent, await readTopicUntil(stack.kafka(), topic, sent.length));
    const status = await runCli(['status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`topic +${topic.replace(/\./g, '\\.')} +\\d+ offsets \\(records and transaction markers\\)`));
    const json = await runCli(['status', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const tail = await runCli(['tail', '--from-beginning', '--count', '20'], env, 60_000);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout.trim().split('\n').length, 20);
    assert.equal((await bridge.stop()).code, 0);

    assert.ok(bridge.logs.some((l) => l.level === 'debug'), 'debug lines were logged');
    assertNoSecrets('run', bridge.stdout, bridge.stderr);
    assertNoSecrets('status', status.stdout, status.stderr, json.stdout, json.stderr);
    assertNoSecrets('tail', tail.stdout, tail.stderr);
  });

  it('SCRAM-SHA-256 with the password from KAFKA_SASL_PASSWORD_FILE, Redis password in REDIS_URL: delivered, nothing shown', async () => {
    const source = uniqueName('test:scram');
    const topic = uniqueName('test.scram');
    const sent = payloads(10, 'scram');
    await pushAll(redis, source, sent);
    const passwordFile = path.join(dir, 'scram-password');
    writeFileSync(passwordFile, `${secret.scram}\n`);
    const url = new URL(stack.redisUrl);
    url.password = secret.redis;
    const bridge = BridgeProcess.run({
      ...baseEnv(source, topic),
      REDIS_URL: url.toString(),
      KAFKA_BROKERS: saslBrokers,
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: 'scrammer',
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
    });
    bridges.push(bridge);
    await drained(source);
    assertAllDelivered(sent, await readTopicUntil(stack.kafka(), topic, sent.length));
    assert.equal((await bridge.stop()).code, 0);
    const started = bridge.logs.find((l) => l.msg === 'starting cdr-bridge');
    assert.match(JSON.stringify(started), /"redisUrl":"redis:\/\/:\*\*\*@127\.0\.0\.1:/);
    assertNoSecrets('run', bridge.stdout, bridge.stderr);
  });

  it('KAFKA_SSL with KAFKA_SSL_CA_FILE over SASL_SSL delivers; without the CA the broker\'s certificate is refused', async () => {
    const source = uniqueName('test:saslssl');
    const topic = uniqueName('test.saslssl');
    const sent = payloads(10, 'saslssl');
    await pushAll(redis, source, sent);
    const env = { ...baseEnv(source, topic), REDIS_PASSWORD: secret.redis, KAFKA_BROKERS: saslSslBrokers, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'bridge', KAFKA_SASL_PASSWORD: secret.plain };
    const bridge = BridgeProcess.run(env);
    bridges.push(bridge);
    await drained(source);
    assertAllDelivered(sent, await readTopicUntil(stack.kafka(), topic, sent.length));
    assert.equal((await bridge.stop()).code, 0);

    const { KAFKA_SSL_CA_FILE: _ca, ...withoutCa } = env;
    const status = await runCli(['status'], withoutCa);
    assert.equal(status.code, 1);
    assert.match(status.stderr, new RegExp(`^cdr-bridge: cannot reach Kafka at ${saslSslBrokers}: .*(self[- ]signed certificate|unable to (get local issuer|verify))`, 'm'));
    assertNoSecrets('run', bridge.stdout, bridge.stderr);
    assertNoSecrets('status', status.stdout, status.stderr);
  });

  it('a wrong Redis password: the run warns (WRONGPASS) and takes nothing, status exits 1; neither shows a password', async () => {
    const source = uniqueName('test:wrongredis');
    await pushAll(redis, source, payloads(3, 'wrongredis'));
    const env = { ...baseEnv(source, uniqueName('test.wrongredis')), REDIS_PASSWORD: secret.wrong, KAFKA_BROKERS: stack.kafkaBrokers };
    const bridge = BridgeProcess.run(env);
    bridges.push(bridge);
    const warning = await bridge.waitForLog('redis WRONGPASS: ');
    assert.match(String(warning.err), /^WRONGPASS/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await redis.llen(source), 3, 'nothing taken');
    await bridge.stop();

    const status = await runCli(['status'], env);
    assert.equal(status.code, 1);
    assert.equal(status.stdout, '');
    assert.match(status.stderr, /^cdr-bridge: Redis at redis:\/\/127\.0\.0\.1:\d+\/? refuses: WRONGPASS invalid username-password pair.* — give the bridge the current credentials/m);
    assertNoSecrets('run', bridge.stdout, bridge.stderr);
    assertNoSecrets('status', status.stdout, status.stderr);
  });

  it('a wrong SASL password: the run warns that Kafka refused, status exits 1 naming the failure; neither shows a password', async () => {
    const source = uniqueName('test:wrongsasl');
    const env = { ...baseEnv(source, uniqueName('test.wrongsasl')), REDIS_PASSWORD: secret.redis, KAFKA_BROKERS: saslBrokers, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'bridge', KAFKA_SASL_PASSWORD: secret.wrong };
    const bridge = BridgeProcess.run(env);
    bridges.push(bridge);
    const warning = await bridge.waitForLog('kafka unreachable at start; retrying');
    assert.match(String(warning.err), /SASL authentication failed/);
    await bridge.stop();

    const status = await runCli(['status'], env);
    assert.equal(status.code, 1);
    assert.match(status.stderr, new RegExp(`^cdr-bridge: cannot reach Kafka at ${saslBrokers}: SASL authentication failed`, 'm'));
    assertNoSecrets('run', bridge.stdout, bridge.stderr);
    assertNoSecrets('status', status.stdout, status.stderr);
  });

  it('a half-configured login stops the start with exit 2 naming the setting, not its secret', async () => {
    const { code, stdout, stderr } = await runCli(['run'], { KAFKA_SASL_USERNAME: 'bridge', KAFKA_SASL_PASSWORD: secret.plain, LOG_LEVEL: 'debug' });
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, 'cdr-bridge: KAFKA_SASL_MECHANISM: is required with KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD (plain, scram-sha-256 or scram-sha-512)\n');
  });
});
