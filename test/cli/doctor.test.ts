// `cdr-bridge doctor` through the real CLI against real services: every check ok on the test
// stack; each environment the bridge cannot serve safely named as warn or FAIL for the right
// reason (a Redis with BLMOVE renamed away, an evicting policy, no persistence, a key of the
// wrong type, a compacted topic, a short retention, max.message.bytes of 1,000); `run`
// refusing such an environment with one line and nothing touched; `status` showing the result.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Admin } from '@platformatic/kafka';
import Redis from 'ioredis';
import type { DoctorReport } from '../../src/bridge/doctor';
import type { Status } from '../../src/cli/commands/status';
import { openAdmin } from '../../src/sink/kafka-client';
import { createTopics } from '../../src/sink/topic-admin';
import { BridgeProcess, runCli } from '../support/bridge-process';
import { LocalRedis } from '../support/local-redis';
import { Scenario } from '../support/scenario';
import { kafkaSettings, pushAll, redisClient } from '../support/services';
import { readTopicUntil } from '../support/topic';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cdr-bridge-doctor-'));
const servers: LocalRedis[] = [];
const scenarios: Scenario[] = [];
let admin: Admin;

before(async () => {
  admin = await openAdmin(kafkaSettings());
});

after(async () => {
  await admin.close();
  for (const s of scenarios) await s.close();
  for (const r of servers) await r.kill();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(): Scenario {
  const s = new Scenario();
  scenarios.push(s);
  return s;
}

async function doctor(env: Record<string, string>): Promise<{ code: number | null; report: DoctorReport }> {
  const json = await runCli(['doctor', '--json'], env);
  assert.equal(json.stderr, '', 'nothing on stderr');
  return { code: json.code, report: JSON.parse(json.stdout) as DoctorReport };
}

/** The lines a refused `run` printed that are not JSON log lines. */
function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
}

/** The checks that are not ok, as "verdict name". */
function notOk(report: DoctorReport): string[] {
  return report.checks.filter((c) => c.verdict !== 'ok').map((c) => `${c.verdict} ${c.name}`);
}

function check(report: DoctorReport, name: string): DoctorReport['checks'][number] {
  return report.checks.find((c) => c.name === name) ?? assert.fail(`no check ${name} in ${JSON.stringify(report.checks.map((c) => c.name))}`);
}

async function topicWith(s: Scenario, configs: Record<string, string>): Promise<void> {
  await createTopics(admin, [{ topic: s.topic, partitions: 3, configs }]);
}

async function extraRedis(name: string, args: string[]): Promise<string> {
  const server = await LocalRedis.start(path.join(dir, name), args);
  servers.push(server);
  return `redis://127.0.0.1:${server.port}`;
}

describe('cdr-bridge doctor', () => {
  it('reports every check ok on the test stack, one line each, exits 0, and status shows the result', async () => {
    const s = scenario();
    await topicWith(s, {});
    // A progress topic of its own, as the bridge creates it, so the list of checks does not depend on other tests.
    const progress = `${s.topic}.progress`;
    await createTopics(admin, [{ topic: progress, partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    const env = s.env({ KAFKA_PROGRESS_TOPIC: progress });
    const { code, report } = await doctor(env);
    assert.deepEqual(notOk(report), [], JSON.stringify(report.checks));
    assert.equal(code, 0);
    const table = await runCli(['doctor'], env);
    assert.equal(table.code, 0);
    const text = table.stdout;
    assert.deepEqual(report.checks.map((c) => c.name), [
      'config', 'redis.reachable', 'redis.version', 'redis.commands', 'redis.persistence', 'redis.maxmemory-policy', 'redis.memory', 'redis.keys',
      'kafka.reachable', 'kafka.topic', 'kafka.topic.replication', 'kafka.topic.cleanup-policy', 'kafka.topic.retention',
      'kafka.topic.timestamps', 'kafka.topic.max-message-bytes', 'kafka.progress-topic', 'kafka.acl.topic', 'kafka.acl.progress-topic',
      'kafka.acl.transactional-id', 'kafka.clock', 'registry',
    ]);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, report.checks.length);
    assert.ok(lines.every((l) => /^ok {4}[a-z.-]+ +\S/.test(l)), text);
    assert.match(check(report, 'redis.persistence').found, /^AOF on/);
    assert.match(check(report, 'kafka.topic').found, /has 3 partitions$/);
    assert.match(check(report, 'kafka.topic.replication').found, /^replication factor 1 on 1 broker, min.insync.replicas 1 \(a single broker can keep one copy only\)$/);
    assert.match(check(report, 'kafka.clock').found, /^agrees with the cluster's/);

    assert.equal(check(report, 'kafka.progress-topic').found, `"${progress}": 1 partition, cleanup.policy=compact`);
    assert.equal(check(report, 'kafka.acl.transactional-id').found, 'the cluster has no authorizer: every principal may use any transactional id');
    const st = await runCli(['status', '--json'], env);
    const status = JSON.parse(st.stdout) as Status;
    assert.ok(status.doctor);
    assert.deepEqual({ by: status.doctor.by, ok: status.doctor.ok, warn: status.doctor.warn, fail: status.doctor.fail, notOk: status.doctor.notOk }, { by: 'doctor', ok: 21, warn: 0, fail: 0, notOk: [] });
    assert.match((await runCli(['status'], env)).stdout, new RegExp(`^doctor\\s+${s.source}:doctor\\s+0 FAIL, 0 warn, 21 ok \\(by doctor on `, 'm'));
  });

  it('a topic that does not exist yet is ok when the bridge may create it, and a FAIL when it may not', async () => {
    const s = scenario();
    const created = await doctor(s.env());
    assert.equal(created.code, 0, JSON.stringify(created.report.checks));
    assert.match(check(created.report, 'kafka.topic').found, /does not exist yet; the bridge creates it \(3 partitions\)/);
    assert.match(check(created.report, 'kafka.acl.create').found, /^Create allowed on the cluster/);
    const refused = await doctor(s.env({ KAFKA_CREATE_TOPIC: 'false', KAFKA_PROGRESS_TOPIC: `${s.topic}.progress` }));
    assert.equal(refused.code, 1);
    assert.deepEqual(notOk(refused.report), ['FAIL kafka.topic', 'FAIL kafka.progress-topic']);
    assert.match(check(refused.report, 'kafka.topic').found, /does not exist and KAFKA_CREATE_TOPIC is false/);
  });

  it('FAILs redis.commands on a Redis with BLMOVE renamed away, and run refuses it with one line, touching nothing', async () => {
    const s = scenario();
    const url = await extraRedis('renamed', ['--rename-command', 'BLMOVE', '""', '--appendonly', 'yes']);
    const env = s.env({ REDIS_URL: url });
    const { code, report } = await doctor(env);
    assert.equal(code, 1);
    assert.deepEqual(notOk(report), ['FAIL redis.commands']);
    assert.equal(check(report, 'redis.commands').found, 'refused: BLMOVE (renamed or disabled)');
    const table = await runCli(['doctor'], env);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /^FAIL  redis\.commands +refused: BLMOVE \(renamed or disabled\) — allow these commands/m);

    const redis = new Redis(url);
    try {
      await pushAll(redis, s.source, ['{"internal_call_ref":"r1","ext":"1001"}']);
      const run = await runCli(['run'], env);
      assert.equal(run.code, 1);
      assert.deepEqual(plainLines(run.stderr), ['cdr-bridge: refusing to start: check redis.commands FAIL: refused: BLMOVE (renamed or disabled) — allow these commands for the bridge (rename-command, ACL or the provider\'s command list)']);
      assert.equal(await redis.llen(s.source), 1, 'the CDR is still in the source list');
      assert.equal(await redis.exists(s.processing, `${s.source}:lease`), 0, 'no lease taken, nothing in flight');
      assert.deepEqual((await admin.listTopics()).filter((t) => t === s.topic), [], 'no topic created');
      const last = JSON.parse((await redis.get(`${s.source}:doctor`)) ?? 'null') as DoctorReport;
      assert.equal(last.by, 'run');
      assert.deepEqual(notOk(last), ['FAIL redis.commands']);
    } finally {
      redis.disconnect();
    }
  });

  it('FAILs redis.maxmemory-policy on allkeys-lru; warns on volatile-lru', async () => {
    const s = scenario();
    const url = await extraRedis('evicting', ['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru', '--appendonly', 'yes']);
    const evicting = await doctor(s.env({ REDIS_URL: url }));
    assert.equal(evicting.code, 1);
    assert.deepEqual(notOk(evicting.report), ['FAIL redis.maxmemory-policy']);
    assert.equal(check(evicting.report, 'redis.maxmemory-policy').found, 'allkeys-lru, maxmemory 104857600 bytes: Redis may evict the source or processing list, CDRs and all');

    const redis = new Redis(url);
    await redis.config('SET', 'maxmemory-policy', 'volatile-lru');
    redis.disconnect();
    const volatile = await doctor(s.env({ REDIS_URL: url }));
    assert.equal(volatile.code, 3);
    assert.deepEqual(notOk(volatile.report), ['warn redis.maxmemory-policy']);
  });

  it('warns (exit 3) on a Redis that persists nothing', async () => {
    const s = scenario();
    const url = await extraRedis('volatile', ['--appendonly', 'no']);
    const { code, report } = await doctor(s.env({ REDIS_URL: url }));
    assert.equal(code, 3);
    assert.deepEqual(notOk(report), ['warn redis.persistence']);
    assert.match(check(report, 'redis.persistence').found, /persists nothing/);
  });

  it('FAILs redis.keys when the processing key holds a string', async () => {
    const s = scenario();
    const redis = redisClient();
    await redis.set(s.processing, 'not a list');
    redis.disconnect();
    const { code, report } = await doctor(s.env());
    assert.equal(code, 1);
    assert.deepEqual(notOk(report), ['FAIL redis.keys']);
    assert.equal(check(report, 'redis.keys').found, `"${s.processing}" holds a string, not a list`);
  });

  it('FAILs a compacted topic, and run refuses it before taking anything', async () => {
    const s = scenario();
    await topicWith(s, { 'cleanup.policy': 'compact' });
    const { code, report } = await doctor(s.env());
    assert.equal(code, 1);
    assert.deepEqual(notOk(report), ['FAIL kafka.topic.cleanup-policy']);
    assert.match(check(report, 'kafka.topic.cleanup-policy').found, /^cleanup.policy=compact: compaction keeps one record per key/);

    await pushAll(s.redis, s.source, ['{"internal_call_ref":"c1","ext":"1001"}']);
    const run = await runCli(['run'], s.env());
    assert.equal(run.code, 1);
    const lines = plainLines(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, /^cdr-bridge: refusing to start: check kafka\.topic\.cleanup-policy FAIL: cleanup\.policy=compact: /);
    assert.deepEqual(await s.lengths(), { source: 1, processing: 0, deadLetter: 0 });
    const status = JSON.parse((await runCli(['status', '--json'], s.env())).stdout) as Status;
    assert.equal(status.doctor?.by, 'run');
    assert.deepEqual(status.doctor?.notOk.map((c) => c.name), ['kafka.topic.cleanup-policy']);
  });

  it('FAILs max.message.bytes of 1,000 against KAFKA_MAX_REQUEST_BYTES, and says what to set', async () => {
    const s = scenario();
    await topicWith(s, { 'max.message.bytes': '1000' });
    const { code, report } = await doctor(s.env());
    assert.equal(code, 1);
    assert.deepEqual(notOk(report), ['FAIL kafka.topic.max-message-bytes']);
    const c = check(report, 'kafka.topic.max-message-bytes');
    assert.match(c.found, /^max.message.bytes=1000 is below KAFKA_MAX_REQUEST_BYTES=900000/);
    assert.match(c.action, /^raise the topic's max.message.bytes .*: no request size of the bridge fits$/);
    const fitting = await doctor(s.env({ KAFKA_MAX_REQUEST_BYTES: '1024' }));
    assert.equal(check(fitting.report, 'kafka.topic.max-message-bytes').verdict, 'FAIL', 'KAFKA_MAX_REQUEST_BYTES cannot go below 1024');
  });

  it('warns on a short retention.ms and a small retention.bytes; run logs the warning once and delivers', async () => {
    const s = scenario();
    await topicWith(s, { 'retention.ms': '3600000', 'retention.bytes': '10000000' });
    const { code, report } = await doctor(s.env());
    assert.equal(code, 3);
    assert.deepEqual(notOk(report), ['warn kafka.topic.retention']);
    assert.match(check(report, 'kafka.topic.retention').found, /^retention.ms=3600000 \(1\.0 h\), retention.bytes=10000000: records older than 1\.0 h are deleted, read or not; each partition keeps only 10000000 bytes/);

    await pushAll(s.redis, s.source, ['{"internal_call_ref":"w1","ext":"1001"}']);
    const bridge = BridgeProcess.run(s.env());
    try {
      await readTopicUntil(s.kafka, s.topic, 1);
      await bridge.waitForLog('acquired the lease');
      assert.equal(bridge.logs.filter((l) => l.check === 'kafka.topic.retention').length, 1, 'the warning is logged once');
      assert.equal(bridge.logs.filter((l) => typeof l.check === 'string').length, 1, 'and no other check is');
    } finally {
      assert.equal((await bridge.stop()).code, 0);
    }
  });
});
