// SIGHUP (a closed terminal, some supervisors) and SIGINT (Ctrl-C) stop `run` as SIGTERM does:
// the transaction in flight finishes, the lease is released at once, exit 0. Node's default for
// SIGHUP is exit 129 with the lease left held until it expires; a standby would wait LEASE_TTL_MS.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';
import { BridgeProcess } from '../support/bridge-process';
import { assertAllDelivered, pushSteadily, scenarioFactory } from '../support/scenario';
import { readTopicUntil } from '../support/topic';

const scenario = scenarioFactory();

describe('signals that stop `run`', () => {
  for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
    it(`${signal} with CDRs flowing: the batch in flight is finished, the lease key is gone, exit 0, every CDR exactly once`, async () => {
      const s = scenario();
      const payloads = takeSynthetic(6000, { seed: 61 });
      // A long lease: a lease left held would still be there when the test looks.
      const env = s.env({ LEASE_TTL_MS: '60000' });
      const bridge = BridgeProcess.run(env);
      await bridge.waitForLog('acquired the lease');
      const pushing = pushSteadily(s, payloads);
      await readTopicUntil(s.kafka, s.topic, 1000);
      const exit = await bridge.stop(signal);
      assert.deepEqual(exit, { code: 0, signal: null }, bridge.stderr.slice(-2000));
      assert.equal((await bridge.waitForLog('signal received', 1000)).signal, signal);
      await bridge.waitForLog('stopped cleanly', 1000);
      assert.equal(await s.redis.exists(`${s.source}:lease`), 0, 'the lease was released, not left to expire');
      assert.equal((await s.lengths()).processing, 0, 'nothing left in flight');
      await pushing;
      // The next bridge takes over at once (no lease to wait for) and moves the rest.
      const next = BridgeProcess.run(env);
      try {
        await s.drained(180_000);
      } finally {
        assert.equal((await next.stop()).code, 0, next.stderr.slice(-2000));
      }
      const records = await readTopicUntil(s.kafka, s.topic, payloads.length);
      assert.equal(records.length, payloads.length, 'exactly one record per CDR');
      const copies = assertAllDelivered(payloads, records);
      assert.equal(copies.size, payloads.length);
    });
  }
});
