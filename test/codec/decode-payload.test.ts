import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Cdr } from '../../src/codec/cdr';
import { DEFAULT_MAX_PAYLOAD_BYTES, decodePayload } from '../../src/codec/decode-payload';
import { badInputCatalogue } from './bad-input-catalogue';

const RECEIVED_AT = 1_717_171_717_171;

function published(raw: Buffer): Cdr {
  const result = decodePayload(raw, RECEIVED_AT);
  if (!result.ok) assert.fail(`expected a CDR, got dead letter: ${result.reason}`);
  return result.cdr;
}

function reasonFor(raw: Buffer, maxPayloadBytes?: number): string {
  const result = decodePayload(raw, RECEIVED_AT, maxPayloadBytes === undefined ? undefined : { maxPayloadBytes });
  if (result.ok) assert.fail(`expected a dead letter, got ${JSON.stringify(result.cdr)}`);
  return result.reason;
}

describe('decodePayload: a normal dialler payload', () => {
  // As the dialler writes it: SIP code and dial number as JSON numbers, ext null.
  const raw = Buffer.from(
    '{"ext":null,"internal_call_ref":"lz0k1a-3f-9x2b","custom_call_ref":"CRM-00001234","disposition":"NO_ANSWER",' +
      '"SIP_termination_code":487,"campaign_ref":"CAMP-SALES-01","client_number":"27821234567","dial_number":27105550100}',
  );

  test('becomes exactly this Cdr', () => {
    assert.deepEqual(published(raw), {
      cdr_id: createHash('sha256').update(raw).digest('hex'),
      received_at: RECEIVED_AT,
      internal_call_ref: 'lz0k1a-3f-9x2b',
      ext: null,
      custom_call_ref: 'CRM-00001234',
      disposition: 'NO_ANSWER',
      sip_termination_code: 487,
      campaign_ref: 'CAMP-SALES-01',
      client_number: '27821234567',
      dial_number: '27105550100',
      extra: {},
    });
  });

  test('numbers written as strings give the same fields', () => {
    const asStrings = Buffer.from(
      '{"ext":"1001","internal_call_ref":"r-1","SIP_termination_code":"200","dial_number":"27105550100"}',
    );
    const cdr = published(asStrings);
    assert.equal(cdr.ext, '1001');
    assert.equal(cdr.sip_termination_code, 200);
    assert.equal(cdr.dial_number, '27105550100');
  });

  test('cdr_id is the lowercase hex SHA-256 of the raw bytes, so the same bytes give the same id', () => {
    assert.equal(published(raw).cdr_id, createHash('sha256').update(raw).digest('hex'));
    assert.equal(published(raw).cdr_id, published(Buffer.from(raw)).cdr_id);
    const respaced = Buffer.from(raw.toString().replace('"ext":null', '"ext": null'));
    assert.notEqual(published(respaced).cdr_id, published(raw).cdr_id);
  });

  test('fields the dialler did not send are null', () => {
    const cdr = published(Buffer.from('{"internal_call_ref":"r-1"}'));
    assert.deepEqual(
      [cdr.ext, cdr.custom_call_ref, cdr.disposition, cdr.sip_termination_code, cdr.campaign_ref, cdr.client_number, cdr.dial_number],
      [null, null, null, null, null, null, null],
    );
    assert.deepEqual(cdr.extra, {});
  });

  test('unknown keys land in extra as the JSON text of their value', () => {
    const cdr = published(Buffer.from('{"internal_call_ref":"r-1","seq":42,"queue":"sales","meta":{"a":[1,2]}}'));
    assert.deepEqual(cdr.extra, { seq: '42', queue: '"sales"', meta: '{"a":[1,2]}' });
  });
});

describe('decodePayload: limits and inputs', () => {
  test(`the default size limit is 256 KiB (${DEFAULT_MAX_PAYLOAD_BYTES} bytes)`, () => {
    assert.equal(DEFAULT_MAX_PAYLOAD_BYTES, 262_144);
  });

  test('maxPayloadBytes is honoured, inclusive', () => {
    const raw = Buffer.from('{"internal_call_ref":"r-1"}'); // 27 bytes
    assert.equal(decodePayload(raw, RECEIVED_AT, { maxPayloadBytes: 27 }).ok, true);
    assert.equal(reasonFor(raw, 26), 'payload is 27 bytes, over the 26-byte limit');
  });

  test('a receivedAt that is not integer milliseconds is a programming error, not a dead letter', () => {
    assert.throws(() => decodePayload(Buffer.from('{"internal_call_ref":"r"}'), 1.5), TypeError);
  });

  test('the parser message in a not-JSON reason is kept short', () => {
    const reason = reasonFor(Buffer.from(`{"internal_call_ref":"${'x'.repeat(5000)}`));
    assert.match(reason, /^payload is not valid JSON: /);
    assert.ok(reason.length <= 240, `reason is ${reason.length} characters`);
  });

  test('a long value is shortened in a reason', () => {
    const reason = reasonFor(Buffer.from(`{"internal_call_ref":"r","SIP_termination_code":"${'9'.repeat(500)}"}`));
    assert.equal(reason, `field "SIP_termination_code" is "${'9'.repeat(36)}..., not an integer`);
  });
});

describe('decodePayload: the bad-input catalogue', () => {
  test('has at least 28 rows with distinct names, each with an exact expectation', () => {
    assert.ok(badInputCatalogue.length >= 28, `only ${badInputCatalogue.length} rows`);
    assert.equal(new Set(badInputCatalogue.map((row) => row.name)).size, badInputCatalogue.length);
    for (const row of badInputCatalogue) {
      if (row.expect === 'dead-letter') assert.ok(row.reasonMatches, `${row.name}: no reasonMatches`);
      else assert.ok(row.check, `${row.name}: no check`);
    }
  });

  for (const row of badInputCatalogue) {
    test(`${row.name} → ${row.expect}`, () => {
      const result = decodePayload(row.raw, RECEIVED_AT);
      if (row.expect === 'dead-letter') {
        if (result.ok) assert.fail(`published ${JSON.stringify(result.cdr).slice(0, 300)}`);
        assert.match(result.reason, row.reasonMatches!);
        // A reason is one short line a person reads in the dead-letter list.
        assert.ok(result.reason.length <= 240 && !/[\r\n]/.test(result.reason), `reason: ${result.reason}`);
      } else {
        if (!result.ok) assert.fail(`dead letter: ${result.reason}`);
        assert.equal(result.cdr.cdr_id, createHash('sha256').update(row.raw).digest('hex'));
        assert.equal(result.cdr.received_at, RECEIVED_AT);
        row.check!(result.cdr);
      }
    });
  }
});
