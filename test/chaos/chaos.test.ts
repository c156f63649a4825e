// The bounded chaos run in `npm test`: leader kills, a broker restart and a Redis restart
// under a steady load, and still each CDR in the topic exactly once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChaos } from './chaos-run';

describe('chaos', () => {
  it('keeps exactly one copy of every CDR through leader kills, a broker restart and a Redis restart', async () => {
    const result = await runChaos({ cdrs: 8000, kills: 3, brokerRestarts: 1, redisRestarts: 1, rate: 400, leaseTtlMs: 2000, seed: 20261123, log: (l) => console.log(`# ${l}`) });
    console.log(result.line);
    assert.equal(result.kills, 3, 'every planned leader kill happened');
    assert.equal(result.brokerRestarts, 1);
    assert.equal(result.redisRestarts, 1);
    assert.equal(result.lost, 0, 'no CDR lost');
    assert.equal(result.duplicated, 0, 'no CDR duplicated');
    assert.equal(result.outOfOrder, 0, 'order per key kept');
    assert.equal(result.altered, 0, 'every record is the CDR its payload makes, by the oracle\'s rules');
    assert.equal(result.inTopic, result.cdrs, 'the topic holds exactly the CDRs pushed');
    for (const ms of result.failoverMs) assert.ok(ms < 2000 * 3, `failover took ${ms} ms, within a few lease TTLs`);
  });
});
