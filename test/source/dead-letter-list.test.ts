// DeadLetterList names envelopes by their exact bytes, so a requeue based on a read the list
// has since moved past cannot requeue the wrong CDR, nor one twice.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { deadLetterEnvelope } from '../../src/source/dead-letter';
import { DeadLetterList } from '../../src/source/dead-letter-list';
import { Scenario } from '../support/scenario';

const s = new Scenario();
after(() => s.close());

describe('DeadLetterList', () => {
  it('requeues nothing for an entry that left the list after it was read, and moves the others once', async () => {
    const dlq = new DeadLetterList(s.redis, { source: s.source, deadLetter: s.deadLetter });
    const raws = ['first-bad', 'second-bad', 'third-bad'].map((t) => Buffer.from(t));
    for (const raw of raws) await s.redis.lpush(s.deadLetter, deadLetterEnvelope(raw, 'test', s.source));

    const read = await dlq.all();
    assert.deepEqual(read.map((l) => l.letter?.bytes.toString()), ['first-bad', 'second-bad', 'third-bad']);
    // Meanwhile someone else requeues #1: the index-based read is now stale.
    assert.equal(await dlq.requeue([read[1]!]), 1);
    assert.equal(await dlq.requeue([read[1]!]), 0, 'the same envelope is not requeued twice');

    assert.equal(await dlq.requeue(read), 2, 'only the two still there move');
    // Each requeue goes to the tail, taken next: the later one, oldest first, before the earlier.
    assert.deepEqual((await s.redis.lrange(s.source, 0, -1)).reverse(), ['first-bad', 'third-bad', 'second-bad']);
    assert.equal(await s.redis.exists(s.deadLetter), 0);
  });
});
