// Mutual TLS with Kafka: a broker listener that requires a client certificate (on this test's
// own stack). With KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE the bridge delivers and status
// reads the topic; without them status fails with one line naming the settings to set.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import type { Status } from '../../src/cli/commands/status';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { addClientAuthListener } from '../support/mtls-listener';
import { OwnStack } from '../support/own-stack';
import { assertAllDelivered } from '../support/scenario';
import { pushAll, uniqueName, waitFor } from '../support/services';
import { makeTestCa, type TestCa } from '../support/test-ca';
import { readTopicUntil } from '../support/topic';

let stack: OwnStack;
let redis: Redis;
let mtlsBrokers: string;
let ca: TestCa;
const bridges: BridgeProcess[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-kafka-mtls-'));

before(async () => {
  stack = await OwnStack.up();
  ca = makeTestCa(dir);
  mtlsBrokers = await addClientAuthListener(stack, { keystoreFile: ca.keystoreFile, caFile: ca.caFile });
  redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 3 });
}, { timeout: 500_000 });

after(async () => {
  await Promise.all(bridges.map((b) => b.stop('SIGKILL')));
  redis?.disconnect();
  await stack?.down();
  rmSync(dir, { recursive: true, force: true });
}, { timeout: 120_000 });

function env(source: string, topic: string, extra: Record<string, string>): Record<string, string> {
  return { REDIS_URL: stack.redisUrl, KAFKA_BROKERS: mtlsBrokers, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca.caFile, CDR_SOURCE_KEY: source, KAFKA_TOPIC: topic, HTTP_PORT: '0', ...extra };
}

describe('Kafka with a client certificate (ssl.client.auth=required)', () => {
  it('shows the certificate in KAFKA_SSL_CERT_FILE/KAFKA_SSL_KEY_FILE: every CDR delivered, status reads the topic', async () => {
    const source = uniqueName('test:kmtls');
    const topic = uniqueName('test.kmtls');
    const sent = Array.from({ length: 12 }, (_, i) => JSON.stringify({ internal_call_ref: `kmtls-${i}`, ext: '1001', seq: i }));
    await pushAll(redis, source, sent);
    const mtls = env(source, topic, { KAFKA_SSL_CERT_FILE: ca.clientCertFile, KAFKA_SSL_KEY_FILE: ca.clientKeyFile });
    const bridge = BridgeProcess.run(mtls);
    bridges.push(bridge);
    await waitFor('the lists to drain', async () => (await redis.llen(source)) + (await redis.llen(`${source}:processing`)) === 0, 120_000);
    assertAllDelivered(sent, await readTopicUntil(stack.kafka(), topic, sent.length));
    assert.equal((await bridge.stop()).code, 0, bridge.stderr.slice(-2000));
    const status = await runCli(['status', '--json'], mtls);
    assert.equal(status.code, 0, status.stderr);
    const topicStatus = (JSON.parse(status.stdout) as Status).topic;
    assert.ok(!('error' in topicStatus), JSON.stringify(topicStatus));
  });

  it('without a client certificate the broker is refused with one line naming the settings to set', async () => {
    const status = await runCli(['status'], env(uniqueName('test:kmtlsno'), uniqueName('test.kmtlsno'), {}));
    assert.equal(status.code, 1, status.stderr);
    const lines = status.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, status.stderr);
    // Java's TLS 1.3 answers a missing certificate with alert 42 "bad certificate" (OpenSSL: 116 "certificate required").
    assert.equal(lines[0], `cdr-bridge: cannot reach Kafka at ${mtlsBrokers}: the server requires a client certificate (TLS alert "bad certificate"): set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`);
  });
});
