// The partitioner's hash: Kafka's murmur2 in 32-bit arithmetic must place every key where Java's
// default partitioner and the producer library's own (BigInt) port place it, or the
// topic's key layout — per-key order for every downstream reader — would change.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadPlatformatic } from '../../src/sink/platformatic';
import { javaCompatiblePartitioner, murmur2 } from '../../src/sink/murmur2';
import { takeSynthetic } from '../../src/simulate/synthetic-cdrs';

describe('murmur2, as Kafka hashes keys', () => {
  it("gives Kafka's own test vectors (UtilsTest.testMurmur2)", () => {
    const cases: [Buffer, number][] = [
      [Buffer.from('21'), -973932308],
      [Buffer.from('foobar'), -790332482],
      [Buffer.from('a-little-bit-long-string'), -985981536],
      [Buffer.from('a-little-bit-longer-string'), -1486304829],
      [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
      [Buffer.from([0x61, 0x62, 0x63]), 479470107],
    ];
    for (const [key, want] of cases) assert.equal(murmur2(key), want, key.toString());
  });

  it('agrees with the producer library on 20,000 keys of every length 0–64 and the synthetic call refs', async () => {
    const { murmur2: library } = await loadPlatformatic();
    const keys: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) keys.push(randomBytes(i % 65));
    for (const cdr of takeSynthetic(2000, { seed: 5 })) keys.push(Buffer.from((JSON.parse(cdr) as { internal_call_ref: string }).internal_call_ref));
    for (const key of keys) {
      const want = library(key);
      assert.equal(murmur2(key), want, `key ${key.toString('hex')}`);
    }
  });

  it('picks the partition the library\'s compatibilityPartitioner picks, and 0 without a key', async () => {
    const { compatibilityPartitioner } = await loadPlatformatic();
    for (let i = 0; i < 2000; i++) {
      const key = randomBytes(1 + (i % 40));
      const ours = javaCompatiblePartitioner({}, key);
      assert.ok(ours >= 0);
      assert.equal(ours, compatibilityPartitioner({ topic: 't' }, key));
    }
    assert.equal(javaCompatiblePartitioner({}, undefined), 0);
  });
});
