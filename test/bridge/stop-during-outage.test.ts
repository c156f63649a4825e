// SIGTERM while Kafka is down ends the bridge promptly and cleanly: the retry pause listens to
// the stop signal, the batch it could not publish stays in the processing list, and the next
// leader publishes it once the broker is back (own stack: the broker is killed on purpose).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess } from '../support/bridge-process';
import { OwnStack } from '../support/own-stack';
import { assertAllDelivered, Scenario } from '../support/scenario';
import { pushAll, waitFor } from '../support/services';
import { readTopicUntil } from '../support/topic';

/** What the bridge logs when a stop comes while it waits out an outage (bridge.ts). */
const STOPPING_LINE = 'stopping during an outage';
/** "Promptly": well under a retry backoff's cap, and far under SHUTDOWN_TIMEOUT_MS below. */
const PROMPT_MS = 5000;

describe('SIGTERM during a kafka outage', () => {
  let stack: OwnStack;
  before(async () => {
    stack = await OwnStack.up();
  });
  after(async () => {
    await stack?.down();
  });

  it('exits 0 promptly, leaves the batch in the processing list for the next leader, and says so', async (t) => {
    const s = new Scenario();
    t.after(() => s.close());
    // A deadline far beyond PROMPT_MS: only a stop that interrupts the retry pause is in time.
    const env = s.env({ REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers, SHUTDOWN_TIMEOUT_MS: '60000' });
    const redis = stack.redis();
    const cdrs = takeSynthetic(20, { seed: 51 });
    const bridge = BridgeProcess.run(env);
    try {
      await bridge.waitForLog('acquired the lease');
      await stack.kill('kafka');
      await pushAll(redis, s.source, cdrs);
      await bridge.waitForLog('kafka publish failed', 60_000);
      // What the bridge holds now (a batch it took before the publish failed, or nothing yet if
      // the failure came first) must be exactly what it leaves behind.
      const inFlight = (await redis.lrange(s.processing, 0, -1)).reverse();

      const stoppedAt = Date.now();
      bridge.kill('SIGTERM');
      const exit = await Promise.race([bridge.exited, new Promise<'late'>((r) => setTimeout(() => r('late'), PROMPT_MS).unref())]);
      assert.notEqual(exit, 'late', `still running ${PROMPT_MS} ms after SIGTERM; stderr:\n${bridge.stderr.slice(-2000)}`);
      assert.deepEqual(exit, { code: 0, signal: null }, bridge.stderr.slice(-2000));
      const line = bridge.logs.find((l) => typeof l.msg === 'string' && l.msg.includes(STOPPING_LINE));
      assert.ok(line, `a log line saying "${STOPPING_LINE}…"; stderr:\n${bridge.stderr.slice(-2000)}`);
      assert.deepEqual((await redis.lrange(s.processing, 0, -1)).reverse(), inFlight, 'the batch is left in the processing list as it was');
      // The rest, if any, waits in the source list or the landing list of the blocking take.
      assert.equal((await redis.llen(s.source)) + (await redis.llen(`${s.processing}:landing`)) + inFlight.length, cdrs.length, 'every CDR is still in Redis');
      assert.ok(Date.now() - stoppedAt < PROMPT_MS);
      t.diagnostic(`${inFlight.length} CDRs were in the processing list at the stop`);
    } finally {
      await bridge.stop('SIGKILL');
    }

    // The next leader publishes what the stopped one left, once the broker is back.
    await stack.start('kafka');
    const next = BridgeProcess.run(env);
    try {
      await waitFor('drained by the next leader', async () => (await redis.llen(s.source)) === 0 && (await redis.llen(s.processing)) === 0, 120_000);
      const records = await readTopicUntil(stack.kafka(), s.topic, cdrs.length);
      const copies = assertAllDelivered(cdrs, records);
      assert.equal(records.length, copies.size, 'each CDR once');
    } finally {
      assert.equal((await next.stop()).code, 0);
    }
  });
});
