// The bounded chaos run of the fault suite, on its three-node bed: leader kill -9s, leader
// freezes past the lease, a Kafka node killed and one paused, a Redis restart, under a steady
// load — and still each CDR in the topic exactly once, in order per key. (`npm run chaos --
// --brokers 3 ...` is the long run.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChaos } from '../chaos/chaos-run';
import { OwnStack } from '../support/own-stack';

describe('chaos on three brokers', () => {
  it('keeps exactly one copy of every CDR, in order per key, through leader kills and freezes, broker kills and pauses, and a Redis restart', { timeout: 400_000 }, async () => {
    const result = await runChaos({ stack: OwnStack.attached(), cdrs: 4000, kills: 2, freezes: 2, brokerRestarts: 1, brokerPauses: 1, redisRestarts: 1, rate: 100, leaseTtlMs: 2000, seed: 20261201, log: (l) => console.log(`# ${l}`) });
    console.log(result.line);
    assert.deepEqual([result.kills, result.freezes, result.brokerRestarts, result.brokerPauses, result.redisRestarts], [2, 2, 1, 1, 1], 'every planned fault happened');
    assert.equal(result.lost, 0, 'no CDR lost');
    assert.equal(result.duplicated, 0, 'no CDR duplicated');
    assert.equal(result.outOfOrder, 0, 'order per key kept');
    assert.equal(result.altered, 0, 'every record is the CDR its payload makes, by the oracle\'s rules');
    assert.equal(result.inTopic, result.cdrs, 'the topic holds exactly the CDRs pushed');
  });
});
