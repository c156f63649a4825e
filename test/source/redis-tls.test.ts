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
import { makeTestCa } from '../support/test-ca';
import { readTopicUntil } from '../support/topic';

let dir: string;
let server: LocalRedis;
let redis: Redis;
let caFile: string;
const bridges: BridgeProcess[] = [];

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-tls-'));
  const ca = makeTestCa(dir);
  caFile = ca.caFile;
  server = await LocalRedis.start(path.join(dir, 'redis'), [
    '--tls-cert-file', ca.certFile,
    '--tls-key-file', ca.keyFile,
    '--tls-ca-cert-file', caFile,
    '--tls-auth-clients', 'no',
    '--appendonly', 'yes',
  ], { tlsOnly: true });
  redis = new Redis({ host: '127.0.0.1', port: server.port, tls: { ca: [readFileSync(caFile)] }, maxRetriesPerRequest: 3 });
}, { timeout: 60_000 });

after(async () => {
  await Promise.all(bridges.map((b) => b.stop('SIGKILL')));
  redis?.disconnect();
  await server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function env(source: string, topic: string, extra: Record<string, string>): Record<string, string> {
  return { REDIS_URL: `rediss://127.0.0.1:${server.port}`, KAFKA_BROKERS: services.kafkaBrokers, CDR_SOURCE_KEY: source, KAFKA_TOPIC: topic, HTTP_PORT: '0', ...extra };
}

function payloads(n: number, name: string): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ internal_call_ref: `${name}-${i}`, ext: '1001', seq: i }));
}

async function runUntilDrained(source: string, topic: string, sent: string[], extra: Record<string, string>): Promise<BridgeProcess> {
  await pushAll(redis, source, sent);
  const bridge = BridgeProcess.run(env(source, topic, extra));
  bridges.push(bridge);
  await waitFor('the lists to drain', async () => (await redis.llen(source)) + (await redis.llen(`${source}:processing`)) === 0, 60_000);
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
});
