// Outages are waited out, never crash the bridge: an unreachable Redis or Kafka at start is
// retried with one clear log line, a broker outage mid-stream holds the batch and the backlog
// and resumes by itself, and an unpersisted source Redis is warned about once.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { assertAllDelivered, Scenario } from '../support/scenario';
import { pushAll, services, waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';
import { closedPort } from '../support/closed-port';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/** A bare redis-server of the test's own (real), killed by PID when the test ends. */
function redisServer(port: number, args: string[]): { child: ChildProcess; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdr-bridge-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args], { stdio: 'ignore' });
  return { child, dir };
}

const children: { child: ChildProcess; dir: string }[] = [];
const scenarios: Scenario[] = [];
after(async () => {
  for (const c of children) {
    c.child.kill('SIGKILL');
    rmSync(c.dir, { recursive: true, force: true });
  }
  for (const s of scenarios) await s.close();
});

const lines = (b: BridgeProcess, text: string): number => b.logs.filter((l) => typeof l.msg === 'string' && l.msg.includes(text)).length;
const noStackTrace = (b: BridgeProcess): void => assert.ok(!/\n\s+at .+:\d+:\d+/.test(b.stderr), `no stack trace in:\n${b.stderr.slice(-1500)}`);

describe('outages at start', () => {
  it('warns once when the source Redis persists nothing, and not when it appends', async () => {
    const port = await closedPort();
    children.push(redisServer(port, ['--save', '', '--appendonly', 'no']));
    const s = new Scenario();
    scenarios.push(s);
    const unpersisted = BridgeProcess.run(s.env({ REDIS_URL: `redis://127.0.0.1:${port}` }));
    try {
      await unpersisted.waitForLog('acquired the lease');
      assert.equal(lines(unpersisted, 'persists nothing'), 1);
    } finally {
      assert.equal((await unpersisted.stop()).code, 0);
    }
    const persisted = BridgeProcess.run(s.env());
    try {
      await persisted.waitForLog('acquired the lease');
      assert.equal(lines(persisted, 'persists nothing'), 0, 'the test stack Redis appends (appendonly yes)');
    } finally {
      await persisted.stop();
    }
  });

  it('retries an unreachable Redis with one clear line, then works once Redis appears', async () => {
    const port = await closedPort();
    const s = new Scenario();
    scenarios.push(s);
    const bridge = BridgeProcess.run(s.env({ REDIS_URL: `redis://:hunter2@127.0.0.1:${port}` }));
    try {
      const line = await bridge.waitForLog('redis unreachable');
      assert.match(line.msg, new RegExp(`127\\.0\\.0\\.1:${port}`));
      await sleep(2500);
      assert.ok(bridge.running, 'still running, retrying');
      assert.equal(lines(bridge, 'redis unreachable'), 2, 'one line per connection (commands and blocking take), not one per retry');
      noStackTrace(bridge);
      assert.ok(!bridge.stderr.includes('hunter2'), 'the password is never logged');

      children.push(redisServer(port, ['--appendonly', 'yes']));
      await bridge.waitForLog('acquired the lease', 30000);
      const redis = new Redis(`redis://127.0.0.1:${port}`);
      const payloads = takeSynthetic(200, { seed: 31 });
      await pushAll(redis, s.source, payloads);
      await waitFor('drained', async () => (await redis.llen(s.source)) === 0 && (await redis.llen(s.processing)) === 0);
      redis.disconnect();
      assertAllDelivered(payloads, await readTopicUntil(s.kafka, s.topic, payloads.length));
    } finally {
      assert.equal((await bridge.stop()).code, 0);
    }
  });
});

describe('stopping while an outage holds the start', () => {
  it('exits 0 at once on SIGTERM while Redis is still unreachable', async () => {
    const port = await closedPort();
    const s = new Scenario();
    scenarios.push(s);
    const bridge = BridgeProcess.run(s.env({ REDIS_URL: `redis://127.0.0.1:${port}` }));
    await bridge.waitForLog('redis unreachable');
    const signalledAt = Date.now();
    const { code } = await bridge.stop('SIGTERM');
    assert.equal(code, 0, bridge.stderr.slice(-1500));
    assert.ok(Date.now() - signalledAt < 5000, `stopped within 5 s (${Date.now() - signalledAt} ms), not at the shutdown timeout`);
    noStackTrace(bridge);
  });
});

describe('kafka outages (own stack: the broker is stopped on purpose)', () => {
  let stack: OwnStack;
  before(async () => {
    stack = await OwnStack.up();
  });
  after(async () => {
    await stack?.down();
  });

  it('waits for an unreachable broker at start, then delivers', async () => {
    const s = new Scenario();
    scenarios.push(s);
    await stack.stop('kafka');
    const env = s.env({ REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers });
    const redis = stack.redis();
    const payloads = takeSynthetic(500, { seed: 32 });
    await pushAll(redis, s.source, payloads);
    const bridge = BridgeProcess.run(env);
    try {
      await bridge.waitForLog('kafka unreachable at start');
      await sleep(3000);
      assert.ok(bridge.running);
      assert.equal(lines(bridge, 'kafka unreachable at start'), 1, 'logged once, not per retry');
      noStackTrace(bridge);
      assert.equal(await redis.llen(s.source), payloads.length, 'nothing taken while Kafka is unreachable');
      await stack.start('kafka');
      await waitFor('drained', async () => (await redis.llen(s.source)) === 0 && (await redis.llen(s.processing)) === 0, 120000);
      const records = await readTopicUntil(stack.kafka(), s.topic, payloads.length);
      assert.equal(records.length, payloads.length, 'exactly once');
      assertAllDelivered(payloads, records);
    } finally {
      assert.equal((await bridge.stop()).code, 0);
    }
  });

  it('holds the batch and the backlog through a broker outage mid-stream and resumes by itself, without duplicates', async () => {
    const s = new Scenario();
    scenarios.push(s);
    const env = s.env({ REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers, BATCH_SIZE: '100' });
    const redis = stack.redis();
    const first = takeSynthetic(1000, { seed: 33 });
    const second = takeSynthetic(2000, { seed: 34 });
    const bridge = BridgeProcess.run(env);
    try {
      await bridge.waitForLog('acquired the lease');
      await pushAll(redis, s.source, first);
      await waitFor('first part drained', async () => (await redis.llen(s.source)) === 0 && (await redis.llen(s.processing)) === 0);
      await stack.kill('kafka');
      await pushAll(redis, s.source, second);
      await bridge.waitForLog('kafka publish failed', 60000);
      await sleep(2000);
      const during = { source: await redis.llen(s.source), processing: await redis.llen(s.processing) };
      // The batch being published, plus at most the next one, taken ahead while it was sent.
      assert.ok(during.processing <= 2 * 100, `at most two batches in flight during the outage (${during.processing})`);
      assert.equal(during.source + during.processing, second.length, 'the backlog stays in Redis');
      assert.equal(lines(bridge, 'kafka publish failed'), 1, 'the outage is logged once');
      assert.ok(bridge.running);
      await stack.start('kafka');
      await bridge.waitForLog('kafka is back', 120000);
      await waitFor('drained', async () => (await redis.llen(s.source)) === 0 && (await redis.llen(s.processing)) === 0, 120000);
      const all = [...first, ...second];
      const records = await readTopicUntil(stack.kafka(), s.topic, all.length);
      const copies = assertAllDelivered(all, records);
      assert.equal(records.length, all.length, `no duplicates (${records.length - copies.size} extra)`);
      noStackTrace(bridge);
    } finally {
      assert.equal((await bridge.stop()).code, 0);
    }
  });
});
void services;
