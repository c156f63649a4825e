// ENCODE_THREAD: a batch encoded on the worker thread is the batch encodeBatch makes on the main
// thread — the same values byte for byte, keys, cdr-ids, the same refusals of the same raw items
// in the same order — for random payloads, valid and broken, every key field and both framings.
// And a thread that fails mid-batch fails exactly the batches it held, with EncodeThreadError,
// while the next batch gets a new thread.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Cdr } from '../../src/codec/cdr';
import { encodeBatch, type EncodedBatch } from '../../src/codec/encode-batch';
import { EncodeThread } from '../../src/codec/encode-pool';
import { confluentFramer, singleObjectFramer } from '../../src/codec/framing';
import { EncodeThreadError } from '../../src/errors';
import { badInputCatalogue } from './bad-input-catalogue';
import { broken, cdrLike, seeded } from './random-payloads';

const TAKEN_AT = 1_717_171_717_171;
const KEY_FIELDS: (keyof Cdr)[] = ['internal_call_ref', 'custom_call_ref', 'dial_number', 'cdr_id', 'sip_termination_code'];

const threads: EncodeThread[] = [];
after(() => Promise.all(threads.map((t) => t.close())));
function thread(kafkaKeyField: keyof Cdr, maxPayloadBytes = 262_144): EncodeThread {
  const t = new EncodeThread({ kafkaKeyField, maxPayloadBytes });
  threads.push(t);
  return t;
}

/** The batch as plain data: every byte and every text the sink or the ack could read. */
function plain(batch: EncodedBatch): unknown {
  return {
    messages: batch.messages.map((m) => ({ value: m.value.toString('hex'), key: m.key, keyBytes: m.keyBytes?.toString('hex') ?? null, cdrId: m.cdrId, cdrIdBytes: m.cdrIdBytes.toString('hex') })),
    refused: batch.refused.map((r) => ({ raw: r.raw, reason: r.reason })),
    takenAt: batch.takenAt,
    taken: batch.taken,
  };
}

describe('ENCODE_THREAD: encoding on a worker thread', () => {
  test('gives the batch encodeBatch gives, for random valid and broken payloads, each key field and framing', async () => {
    const seed = Number(process.env.ENCODE_THREAD_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const r = seeded(seed);
    let published = 0;
    let refused = 0;
    for (const keyField of KEY_FIELDS) {
      const t = thread(keyField);
      for (const framer of [singleObjectFramer(), confluentFramer(42)]) {
        const raws = Array.from({ length: 400 }, () => {
          const raw = Buffer.from(cdrLike(r));
          return r() < 0.7 ? raw : broken(r, raw);
        });
        const want = encodeBatch(raws, TAKEN_AT, framer, { kafkaKeyField: keyField, maxPayloadBytes: 262_144 });
        const got = await t.encode(raws, TAKEN_AT, framer);
        assert.deepEqual(plain(got), plain(want), `ENCODE_THREAD_SEED=${seed}, key ${keyField}, ${framer.name}`);
        // The refusals are the very items taken (the ack dead-letters them by identity and position).
        got.refused.forEach((x, i) => assert.equal(x.raw, want.refused[i]!.raw));
        published += got.messages.length;
        refused += got.refused.length;
      }
    }
    assert.ok(published > 1000 && refused > 400, `ENCODE_THREAD_SEED=${seed}: both outcomes drawn (${published} published, ${refused} refused)`);
  });

  test('gives the same for the bad-input catalogue, the payload-size limit included', async () => {
    const raws = badInputCatalogue.map((row) => row.raw);
    const framer = singleObjectFramer();
    const want = encodeBatch(raws, TAKEN_AT, framer, { kafkaKeyField: 'internal_call_ref', maxPayloadBytes: 2048 });
    const got = await thread('internal_call_ref', 2048).encode(raws, TAKEN_AT, framer);
    assert.deepEqual(plain(got), plain(want));
    assert.ok(want.refused.length >= 10 && want.messages.length >= 5);
  });

  test('a thread that fails mid-batch fails the batches it held with EncodeThreadError; the next batch gets a new thread', async () => {
    const t = thread('internal_call_ref');
    const framer = singleObjectFramer();
    const raws = Array.from({ length: 50 }, (_, i) => Buffer.from(`{"internal_call_ref":"c-${i}","ext":"1001"}`));
    const before = await t.encode(raws, TAKEN_AT, framer);
    assert.equal(before.messages.length, 50);
    const first = t.threadId;
    // A take time that is not integer milliseconds makes the encoder throw inside the thread:
    // an uncaught exception there, the thread's end, as a bug or an out-of-memory would be.
    const held = [t.encode(raws, TAKEN_AT, framer), t.encode(raws, Number.NaN, framer), t.encode(raws, TAKEN_AT, framer)];
    const outcomes = await Promise.allSettled(held);
    assert.equal(outcomes[0]!.status, 'fulfilled', 'the batch before the failing one was answered');
    for (const o of outcomes.slice(1)) {
      assert.equal(o.status, 'rejected');
      assert.ok(o.reason instanceof EncodeThreadError, String(o.reason));
      assert.match(o.reason.message, /the encode thread (failed: receivedAt must be integer milliseconds|exited)/);
    }
    const again = await t.encode(raws, TAKEN_AT, framer);
    assert.deepEqual(again.messages.map((m) => m.key), raws.map((_, i) => `c-${i}`));
    assert.notEqual(t.threadId, first, 'a new thread');
  });

  test('closed, it refuses new batches with EncodeThreadError and fails none silently', async () => {
    const t = thread('internal_call_ref');
    const raws = [Buffer.from('{"internal_call_ref":"x","ext":"1"}')];
    const pending = assert.rejects(t.encode(raws, TAKEN_AT, singleObjectFramer()), EncodeThreadError);
    await t.close();
    await pending;
    await assert.rejects(t.encode(raws, TAKEN_AT, singleObjectFramer()), EncodeThreadError);
  });
});
