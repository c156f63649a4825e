// rediss:// against a real Redis that speaks only TLS (started here, with a certificate from a
// throwaway CA): REDIS_TLS_CA_FILE makes the server's certificate trusted; without it the
// handshake is refused and nothing moves; REDIS_TLS_INSECURE skips the check and says so once.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { LocalRedis } from '../support/local-redis';
import { assertAllDelivered } from '../support/scenario';
import { kafkaSettings, pushAll, services, uniqueName, waitFor } from '../support/services';
import { makeTestCa, type TestCa } from '../support/test-ca';
import { readTopicUntil } from '../support/topic';

let dir: string;
let server: LocalRedis;
let redis: Redis;
let caFile: string;
let ca: TestCa;
/** A Redis that requires a client certificate (`tls-auth-clients yes`). */
let mutual: LocalRedis;
let mutualRedis: Redis;
const bridges: BridgeProcess[] = [];

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-tls-'));
  ca = makeTestCa(dir);
  caFile = ca.caFile;
  server = await LocalRedis.start(path.join(dir, 'redis'), [
    '--tls-cert-file', ca.certFile,
    '--tls-key-file', ca.keyFile,
    '--tls-ca-cert-file', caFile,
    '--tls-auth-clients', 'no',
    '--appendonly', 'yes',
  ], { tlsOnly: true });
  redis = new Redis({ host: '127.0.0.1', port: server.port, tls: { ca: [readFileSync(caFile)] }, maxRetriesPerRequest: 3 });
  mutual = await LocalRedis.start(path.join(dir, 'redis-mutual'), [
    '--tls-cert-file', ca.certFile,
    '--tls-key-file', ca.keyFile,
    '--tls-ca-cert-file', caFile,
    '--tls-auth-clients', 'yes',
    '--appendonly', 'yes',
  ], { tlsOnly: true });
  mutualRedis = new Redis({ host: '127.0.0.1', port: mutual.port, tls: { ca: [readFileSync(caFile)], cert: readFileSync(ca.clientCertFile), key: readFileSync(ca.clientKeyFile) }, maxRetriesPerRequest: 3 });
}, { timeout: 60_000 });

after(async () => {
  await Promise.all(bridges.map((b) => b.stop('SIGKILL')));
  redis?.disconnect();
  mutualRedis?.disconnect();
  await server?.kill();
  await mutual?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function env(source: string, topic: string, extra: Record<string, string>, port = server.port): Record<string, string> {
  return { REDIS_URL: `rediss://127.0.0.1:${port}`, KAFKA_BROKERS: services.kafkaBrokers, CDR_SOURCE_KEY: source, KAFKA_TOPIC: topic, HTTP_PORT: '0', ...extra };
}

function payloads(n: number, name: string): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ internal_call_ref: `${name}-${i}`, ext: '1001', seq: i }));
}

async function runUntilDrained(source: string, topic: string, sent: string[], extra: Record<string, string>, client = redis, port = server.port): Promise<BridgeProcess> {
  await pushAll(client, source, sent);
  const bridge = BridgeProcess.run(env(source, topic, extra, port));
  bridges.push(bridge);
  await waitFor('the lists to drain', async () => (await client.llen(source)) + (await client.llen(`${source}:processing`)) === 0, 60_000);
  assertAllDelivered(sent, await readTopicUntil(kafkaSettings(), topic, sent.length));
  assert.equal((await bridge.stop()).code, 0);
  return bridge;
}

describe('Redis over TLS (rediss://)', () => {
  it('trusts the server\'s certificate through REDIS_TLS_CA_FILE and delivers every CDR', async () => {
    const bridge = await runUntilDrained(uniqueName('test:tls'), uniqueName('test.tls'), payloads(15, 'tls'), { REDIS_TLS_CA_FILE: caFile });
    assert.equal(bridge.logs.filter((l) => l.level === 'warn').length, 0, bridge.stderr);
  });

  it('refuses a certificate it cannot verify: status exits 1 naming the problem, and a run takes nothing', async () => {
    const source = uniqueName('test:tlsrefused');
    await pushAll(redis, source, payloads(2, 'refused'));
    const status = await runCli(['status'], env(source, uniqueName('test.tlsrefused'), {}));
    assert.equal(status.code, 1);
    assert.match(status.stderr, /^cdr-bridge: cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+\/?: .*(self[- ]signed certificate|unable to (get local issuer|verify))/m);

    const bridge = BridgeProcess.run(env(source, uniqueName('test.tlsrefused'), {}));
    bridges.push(bridge);
    const warning = await bridge.waitForLog('redis unreachable');
    assert.match(String(warning.err), /certificate|verify/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await redis.llen(source), 2, 'nothing taken');
    await bridge.stop('SIGKILL');
  });

  it('with REDIS_TLS_INSECURE skips the check (no CA given), delivers, and warns exactly once', async () => {
    const bridge = await runUntilDrained(uniqueName('test:tlsinsecure'), uniqueName('test.tlsinsecure'), payloads(5, 'insecure'), { REDIS_TLS_INSECURE: 'true' });
    const warnings = bridge.logs.filter((l) => l.msg.includes('REDIS_TLS_INSECURE'));
    assert.equal(warnings.length, 1, bridge.stderr);
    assert.equal(warnings[0]!.level, 'warn');
  });

  it('shows a Redis that requires a client certificate the one in REDIS_TLS_CERT_FILE/REDIS_TLS_KEY_FILE, and delivers every CDR', async () => {
    const mtls = { REDIS_TLS_CA_FILE: caFile, REDIS_TLS_CERT_FILE: ca.clientCertFile, REDIS_TLS_KEY_FILE: ca.clientKeyFile };
    const bridge = await runUntilDrained(uniqueName('test:mtls'), uniqueName('test.mtls'), payloads(12, 'mtls'), mtls, mutualRedis, mutual.port);
    assert.equal(bridge.logs.filter((l) => l.level === 'warn').length, 0, bridge.stderr);
  });

  it('without a client certificate that Redis is refused with one line naming the settings to set; a half pair is a configuration error', async () => {
    const source = uniqueName('test:mtlsrefused');
    const status = await runCli(['status'], env(source, uniqueName('test.mtlsrefused'), { REDIS_TLS_CA_FILE: caFile }, mutual.port));
    assert.equal(status.code, 1);
    assert.equal(status.stderr, `cdr-bridge: cannot reach Redis at rediss://127.0.0.1:${mutual.port}: the server requires a client certificate (TLS alert "certificate required"): set REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE\n`);
    const half = await runCli(['status'], env(source, uniqueName('test.mtlsrefused'), { REDIS_TLS_CA_FILE: caFile, REDIS_TLS_CERT_FILE: ca.clientCertFile }, mutual.port));
    assert.equal(half.code, 2);
    assert.equal(half.stderr, 'cdr-bridge: REDIS_TLS_KEY_FILE: is required with REDIS_TLS_CERT_FILE (the client certificate\'s private key)\n');
  });
});
