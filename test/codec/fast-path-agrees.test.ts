// The property that lets the one-pass encoder stand in for decodePayload + avsc: for any
// payload, valid or not, both give the same Kafka value byte for byte (hence the same
// record), the same key and cdr_id — or the same dead-letter reason. Seeded; the seed is in
// every failure message (rerun with FAST_PATH_SEED=<seed>).
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, test } from 'node:test';
import type { Cdr } from '../../src/codec/cdr';
import { CdrEncoder, EncodedCdr } from '../../src/codec/cdr-encoder';
import { decodePayload } from '../../src/codec/decode-payload';
import { FlatMembers, scanFlatPayload } from '../../src/codec/flat-payload';
import { confluentFramer, decodeMessage, singleObjectFramer, type Framer } from '../../src/codec/framing';
import { badInputCatalogue } from './bad-input-catalogue';
import { broken, cdrLike, seeded } from './random-payloads';

const PAYLOADS = 10_000;
const RECEIVED_AT = 1_717_171_717_171;
const KEY_FIELDS: (keyof Cdr)[] = ['internal_call_ref', 'internal_call_ref', 'custom_call_ref', 'dial_number', 'cdr_id', 'sip_termination_code'];
const FRAMERS: Framer[] = [singleObjectFramer(), confluentFramer(7)];
/**
 * Key fields the one-pass encoder can point a key at (cdr-encoder.ts: a key from the SIP code is
 * left to decodePayload). Only a payload keyed by one of these can take the fast path.
 */
const FAST_KEY_FIELDS: ReadonlySet<keyof Cdr> = new Set<keyof Cdr>(['internal_call_ref', 'custom_call_ref', 'dial_number', 'cdr_id']);

type Outcome = { value: Buffer; key: string | null; cdrId: string } | { reason: string };

/** The reference: decodePayload, then avsc through the framer, as the bridge did before. */
function oracle(raw: Buffer, framer: Framer, keyField: keyof Cdr, maxPayloadBytes: number): Outcome {
  const decoded = decodePayload(raw, RECEIVED_AT, { maxPayloadBytes });
  if (!decoded.ok) return { reason: decoded.reason };
  const key = decoded.cdr[keyField];
  return { value: framer.encode(decoded.cdr), key: key === null ? null : String(key), cdrId: decoded.cdr.cdr_id };
}

function fast(raw: Buffer, framer: Framer, keyField: keyof Cdr, maxPayloadBytes: number): Outcome {
  const encoded = new CdrEncoder(framer, { maxPayloadBytes, kafkaKeyField: keyField }, RECEIVED_AT).encode(raw);
  if (!(encoded instanceof EncodedCdr)) return { reason: encoded.reason };
  assert.equal(encoded.cdrIdBytes.toString('latin1'), encoded.cdrId, 'the cdr-id header bytes are the id');
  assert.equal(encoded.keyBytes === null ? null : encoded.keyBytes.toString('utf8'), encoded.key, 'the key bytes are the key');
  return { value: encoded.value, key: encoded.key, cdrId: encoded.cdrId };
}

function assertAgree(raw: Buffer, framer: Framer, keyField: keyof Cdr, maxPayloadBytes: number, context: string): void {
  const want = oracle(raw, framer, keyField, maxPayloadBytes);
  const got = fast(raw, framer, keyField, maxPayloadBytes);
  const about = `${context}; payload ${JSON.stringify(raw.toString('latin1').slice(0, 400))} (base64 ${raw.toString('base64').slice(0, 600)}), key ${keyField}, ${framer.name}`;
  if ('reason' in want) {
    assert.deepEqual(got, want, `dead letter expected: ${about}`);
    return;
  }
  assert.ok(!('reason' in got), `expected published, got dead letter "${'reason' in got ? got.reason : ''}": ${about}`);
  assert.deepEqual(decodeMessage(got.value), decodeMessage(want.value), `decoded records differ: ${about}`);
  assert.ok(got.value.equals(want.value), `values differ byte for byte: ${about}`);
  assert.equal(got.key, want.key, `keys differ: ${about}`);
  assert.equal(got.cdrId, want.cdrId, `cdr_ids differ: ${about}`);
}

describe('the one-pass encoder agrees with decodePayload + avsc', () => {
  test(`on ${PAYLOADS.toLocaleString('en-US')} seeded random payloads, valid and broken: same value bytes, key and cdr_id, or the same dead-letter reason`, (t) => {
    const seed = Number(process.env.FAST_PATH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const r = seeded(seed);
    const scan = new FlatMembers();
    const tally = { fast: 0, published: 0, deadLetters: 0 };
    for (let i = 0; i < PAYLOADS; i++) {
      const text = cdrLike(r);
      const raw = r() < 0.6 ? Buffer.from(text) : broken(r, Buffer.from(text));
      const framer = FRAMERS[i % FRAMERS.length]!;
      const keyField = KEY_FIELDS[Math.floor(r() * KEY_FIELDS.length)]!;
      const maxPayloadBytes = r() < 0.05 ? Math.floor(r() * raw.length * 1.2) : 262_144;
      assertAgree(raw, framer, keyField, maxPayloadBytes, `FAST_PATH_SEED=${seed}, payload #${i}`);
      const ok = decodePayload(raw, RECEIVED_AT, { maxPayloadBytes }).ok;
      if (ok) tally.published++;
      else tally.deadLetters++;
      if (FAST_KEY_FIELDS.has(keyField) && raw.length <= maxPayloadBytes && isUtf8(raw) && scanFlatPayload(raw, scan)) tally.fast++;
    }
    // The draw must reach both ways and both outcomes, or agreeing proves little.
    const context = `FAST_PATH_SEED=${seed}: ${JSON.stringify(tally)}`;
    t.diagnostic(context);
    assert.ok(tally.fast > PAYLOADS * 0.15, `too few payloads took the fast path: ${context}`);
    assert.ok(tally.published - tally.fast > PAYLOADS * 0.05, `too few published payloads took decodePayload: ${context}`);
    assert.ok(tally.deadLetters > PAYLOADS * 0.3, `too few dead letters: ${context}`);
  });

  test('on every row of the bad-input catalogue, with each framing', () => {
    for (const row of badInputCatalogue) {
      for (const framer of FRAMERS) assertAgree(row.raw, framer, 'internal_call_ref', 262_144, `catalogue row "${row.name}"`);
    }
  });

  test('a synthetic dialler CDR takes the fast path, and its key and cdr-id header are views into the value', () => {
    const raw = Buffer.from('{"ext":null,"internal_call_ref":"lz0k1a-3f-9x2b","custom_call_ref":"CRM-00001234","disposition":"NO_ANSWER","SIP_termination_code":487,"campaign_ref":"CAMP-SALES-01","client_number":"27821234567","dial_number":27105550100}');
    assert.ok(scanFlatPayload(raw, new FlatMembers()));
    const encoded = new CdrEncoder(FRAMERS[0]!, { maxPayloadBytes: 262_144, kafkaKeyField: 'internal_call_ref' }, RECEIVED_AT).encode(raw);
    assert.ok(encoded instanceof EncodedCdr);
    assert.equal(encoded.keyBytes?.buffer, encoded.value.buffer);
    assert.equal(encoded.cdrIdBytes.buffer, encoded.value.buffer);
    assert.equal(encoded.key, 'lz0k1a-3f-9x2b');
    assert.equal(decodeMessage(encoded.value).dial_number, '27105550100');
  });

  test('a 20-digit internal_call_ref is the message key, every digit kept', () => {
    const raw = Buffer.from('{"internal_call_ref":98765432109876543210,"ext":"1001"}');
    const encoded = new CdrEncoder(FRAMERS[0]!, { maxPayloadBytes: 262_144, kafkaKeyField: 'internal_call_ref' }, RECEIVED_AT).encode(raw);
    assert.ok(encoded instanceof EncodedCdr);
    assert.equal(encoded.key, '98765432109876543210');
    assert.equal(decodeMessage(encoded.value).internal_call_ref, '98765432109876543210');
  });
});
