// Malformed and odd dialler payloads, each with what cdr-bridge must do with it. Shared:
// the codec unit tests decode every row, and the integration tests push the same raw
// bytes through a real Redis list and bridge and check the same outcome end to end.
import assert from 'node:assert/strict';
import type { Cdr } from '../../src/codec/cdr';

export interface CatalogueRow {
  name: string;
  /** The list item exactly as the dialler would LPUSH it. */
  raw: Buffer;
  expect: 'published' | 'dead-letter';
  /** For dead letters: the reason must match. */
  reasonMatches?: RegExp;
  /** For published rows: asserts on the Cdr (as decoded, or as read back from Kafka). */
  check?: (cdr: Cdr) => void;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');
const json = (value: unknown): Buffer => utf8(JSON.stringify(value));

/** A payload with the required field, plus `more` members written as raw JSON text. */
const withCallRef = (more: string): Buffer => utf8(`{"internal_call_ref":"call-1",${more}}`);

const PAD_HEAD = '{"internal_call_ref":"call-1","pad":"';
const PAD_TAIL = '"}';
/** A valid payload of exactly `bytes` bytes: padding in the unknown key "pad". */
function payloadOfSize(bytes: number): Buffer {
  return utf8(PAD_HEAD + 'x'.repeat(bytes - PAD_HEAD.length - PAD_TAIL.length) + PAD_TAIL);
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const deadLetter = (name: string, raw: Buffer, reasonMatches: RegExp): CatalogueRow => ({
  name,
  raw,
  expect: 'dead-letter',
  reasonMatches,
});
const published = (name: string, raw: Buffer, check: (cdr: Cdr) => void): CatalogueRow => ({
  name,
  raw,
  expect: 'published',
  check,
});

const LONG_DISPOSITION = 'NO ANSWER '.repeat(20_000); // 200,000 characters
const DEPTH_AT_LIMIT = 63; // the payload object is level 1, so this reaches level 64

export const badInputCatalogue: readonly CatalogueRow[] = [
  // Not JSON, or not a JSON object.
  deadLetter('not JSON', utf8('hello dialler'), /^payload is not valid JSON: /),
  deadLetter('truncated JSON', utf8('{"internal_call_ref":"call-1","ext":"10'), /^payload is not valid JSON: /),
  deadLetter('trailing text after the object', utf8('{"internal_call_ref":"call-1"} x'), /^payload is not valid JSON: /),
  deadLetter('two objects back to back', utf8('{"internal_call_ref":"a"}{"internal_call_ref":"b"}'), /^payload is not valid JSON: /),
  deadLetter('JSON with a comment', utf8('{"internal_call_ref":"call-1" /* x */}'), /^payload is not valid JSON: /),
  deadLetter('single-quoted strings', utf8("{'internal_call_ref':'call-1'}"), /^payload is not valid JSON: /),
  deadLetter('a JSON array', json([{ internal_call_ref: 'call-1' }]), /^payload is a JSON array, not a JSON object$/),
  deadLetter('a JSON string', json('call-1'), /^payload is a JSON string, not a JSON object$/),
  deadLetter('a JSON number', utf8('487'), /^payload is a JSON number, not a JSON object$/),
  deadLetter('JSON null', utf8('null'), /^payload is JSON null, not a JSON object$/),
  deadLetter('JSON true', utf8('true'), /^payload is a JSON boolean, not a JSON object$/),
  deadLetter('empty payload', Buffer.alloc(0), /^payload is empty$/),
  deadLetter('whitespace-only payload', utf8(' \t\r\n  '), /^payload is only whitespace$/),

  // Bytes that are not clean UTF-8 JSON text.
  deadLetter('invalid UTF-8 bytes in a value', Buffer.concat([utf8('{"internal_call_ref":"call-'), Buffer.from([0xff, 0xfe]), utf8('"}')]), /^payload is not valid UTF-8$/),
  deadLetter('overlong UTF-8 encoding of "/"', Buffer.concat([utf8('{"internal_call_ref":"a'), Buffer.from([0xc0, 0xaf]), utf8('"}')]), /^payload is not valid UTF-8$/),
  deadLetter('UTF-16LE payload', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"internal_call_ref":"call-1"}', 'utf16le')]), /^payload is not valid UTF-8$/),
  deadLetter('UTF-8 byte-order mark before the object', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ internal_call_ref: 'call-1' })]), /^payload starts with a byte-order mark/),
  deadLetter('raw NUL byte inside a string (JSON forbids raw control characters)', Buffer.concat([utf8('{"internal_call_ref":"call-1","disposition":"A'), Buffer.from([0x00]), utf8('B"}')]), /^payload is not valid JSON: /),
  published('escaped NUL (\\u0000) inside a string is carried faithfully', withCallRef('"disposition":"A\\u0000B"'), (cdr) => {
    assert.equal(cdr.disposition, 'A\u0000B');
  }),
  deadLetter('lone surrogate escape in a schema field', withCallRef('"campaign_ref":"spring\\ud800"'), /^field "campaign_ref" contains a lone UTF-16 surrogate/),
  published('lone surrogate escape in an unknown key\'s value is kept as written', withCallRef('"note":"x\\ud800"'), (cdr) => {
    assert.deepEqual(cdr.extra, { note: '"x\\ud800"' });
  }),

  // Size and shape limits.
  deadLetter('2 MB payload', payloadOfSize(2 * 1024 * 1024), /^payload is 2097152 bytes, over the 262144-byte limit$/),
  deadLetter('one byte over 256 KiB', payloadOfSize(256 * 1024 + 1), /^payload is 262145 bytes, over the 262144-byte limit$/),
  published('exactly 256 KiB', payloadOfSize(256 * 1024), (cdr) => {
    assert.equal(cdr.internal_call_ref, 'call-1');
    // The value's JSON text: the padding plus its two quotes.
    assert.equal(cdr.extra['pad']?.length, 256 * 1024 - PAD_HEAD.length - PAD_TAIL.length + 2);
  }),
  deadLetter('100,000-deep nesting under an unknown key', withCallRef(`"deep":${nested(100_000)}`), /^payload nests arrays or objects more than 64 levels deep$/),
  published('nesting exactly at the 64-level limit', withCallRef(`"deep":${nested(DEPTH_AT_LIMIT)}`), (cdr) => {
    assert.equal(cdr.extra['deep'], nested(DEPTH_AT_LIMIT));
  }),
  published('very long string within the limit', withCallRef(`"disposition":"${LONG_DISPOSITION}"`), (cdr) => {
    assert.equal(cdr.disposition, LONG_DISPOSITION);
  }),

  // Keys.
  deadLetter('duplicate key', utf8('{"internal_call_ref":"call-1","ext":"1001","ext":"1002"}'), /^key "ext" appears more than once$/),
  deadLetter('duplicate required key', utf8('{"internal_call_ref":"a","internal_call_ref":"b"}'), /^key "internal_call_ref" appears more than once$/),
  deadLetter('duplicate key written once with an escape', withCallRef('"ext":"1001","\\u0065xt":"1002"'), /^key "ext" appears more than once$/),
  deadLetter('duplicate unknown key', withCallRef('"queue":"a","queue":"b"'), /^key "queue" appears more than once$/),
  published('a key written with an escape maps like the plain key', withCallRef('"\\u0065xt":"1001"'), (cdr) => {
    assert.equal(cdr.ext, '1001');
    assert.deepEqual(cdr.extra, {});
  }),
  deadLetter('both SIP_termination_code and sip_termination_code', withCallRef('"SIP_termination_code":487,"sip_termination_code":487'), /^both "SIP_termination_code" and "sip_termination_code" are present$/),
  deadLetter('a "__proto__" key', withCallRef('"__proto__":"x"'), /^key "__proto__" cannot be carried/),
  deadLetter('a key with a lone surrogate escape', withCallRef('"k\\udc00":"x"'), /^a key contains a lone UTF-16 surrogate/),
  published('unknown keys are kept in extra as their JSON text, exactly as written', withCallRef('"queue":"sales","attempt":2,"rate":1.50,"big":12345678901234567890,"tags":{ "a" : [1, "b"] },"ok":true,"none":null,"":"empty key","1":"one"'), (cdr) => {
    assert.deepEqual(cdr.extra, {
      queue: '"sales"',
      attempt: '2',
      rate: '1.50',
      big: '12345678901234567890',
      tags: '{ "a" : [1, "b"] }',
      ok: 'true',
      none: 'null',
      '': '"empty key"',
      '1': '"one"',
    });
  }),
  published('keys named extra, cdr_id and received_at go to extra', withCallRef('"extra":{"a":1},"cdr_id":"mine","received_at":5'), (cdr) => {
    assert.deepEqual(cdr.extra, { extra: '{"a":1}', cdr_id: '"mine"', received_at: '5' });
    assert.match(cdr.cdr_id, /^[0-9a-f]{64}$/);
    assert.notEqual(cdr.received_at, 5);
  }),
  published('keys that are Object.prototype names', withCallRef('"constructor":1,"toString":"x","hasOwnProperty":null'), (cdr) => {
    assert.deepEqual(cdr.extra, { constructor: '1', toString: '"x"', hasOwnProperty: 'null' });
  }),

  // internal_call_ref, the accounting reference and message key.
  deadLetter('missing internal_call_ref', json({ ext: '1001' }), /^field "internal_call_ref" is missing$/),
  deadLetter('empty object', utf8('{}'), /^field "internal_call_ref" is missing$/),
  // Issue 10 moved these two from dead letters to published: the schema carries any string,
  // and refusing one would take the call out of every consumer's accounting.
  published('empty internal_call_ref is carried as written', json({ internal_call_ref: '' }), (cdr) => {
    assert.equal(cdr.internal_call_ref, '');
  }),
  published('whitespace-only internal_call_ref is carried as written', json({ internal_call_ref: ' \t ' }), (cdr) => {
    assert.equal(cdr.internal_call_ref, ' \t ');
  }),
  deadLetter('internal_call_ref null', json({ internal_call_ref: null }), /^field "internal_call_ref" is null$/),
  deadLetter('internal_call_ref as an object', json({ internal_call_ref: { id: 1 } }), /^field "internal_call_ref" is an object, not a string$/),
  published('internal_call_ref as a plain integer', utf8('{"internal_call_ref":12345}'), (cdr) => {
    assert.equal(cdr.internal_call_ref, '12345');
  }),
  // What a dialler with 64-bit call ids sends on every CDR (issue 10: was dead-lettered).
  published('internal_call_ref as a 20-digit number beyond 2^53 keeps every digit', utf8('{"internal_call_ref":98765432109876543210,"ext":"1001"}'), (cdr) => {
    assert.equal(cdr.internal_call_ref, '98765432109876543210');
  }),

  // String fields.
  deadLetter('ext as a boolean', withCallRef('"ext":true'), /^field "ext" is true, not a string$/),
  deadLetter('ext as an array', withCallRef('"ext":["1001"]'), /^field "ext" is an array, not a string$/),
  // A JSON number in a string field is carried as its text exactly as written: these five were
  // dead letters before issue 10, although every digit was in the payload.
  published('custom_call_ref as a fraction is carried as written', withCallRef('"custom_call_ref":12.5'), (cdr) => {
    assert.equal(cdr.custom_call_ref, '12.5');
  }),
  published('client_number beyond 2^53 keeps every digit', withCallRef('"client_number":27821234567890123456789'), (cdr) => {
    assert.equal(cdr.client_number, '27821234567890123456789');
  }),
  published('dial_number as a JSON number', withCallRef('"dial_number":27821234567'), (cdr) => {
    assert.equal(cdr.dial_number, '27821234567');
  }),
  published('dial_number with a fraction part keeps it, not rounded to an integer', withCallRef('"dial_number":27821234567.0'), (cdr) => {
    assert.equal(cdr.dial_number, '27821234567.0');
  }),
  published('dial_number in exponent notation keeps the exponent, not rewritten', withCallRef('"dial_number":2.7821234567E+10'), (cdr) => {
    assert.equal(cdr.dial_number, '2.7821234567E+10');
  }),
  published('dial_number as minus zero keeps the sign', withCallRef('"dial_number":-0'), (cdr) => {
    assert.equal(cdr.dial_number, '-0');
  }),
  published('a negative number in a string field keeps its sign', withCallRef('"ext":-1001'), (cdr) => {
    assert.equal(cdr.ext, '-1001');
  }),
  published('unicode (emoji, Arabic, combining marks) in campaign_ref', withCallRef('"campaign_ref":"حملة 📞 cafe\u0301 👩🏽‍💻"'), (cdr) => {
    assert.equal(cdr.campaign_ref, 'حملة 📞 cafe\u0301 👩🏽‍💻');
  }),
  published('JSON escapes in strings are decoded', withCallRef('"disposition":"NO\\nANSWER \\"x\\" \\u00e9\\/"'), (cdr) => {
    assert.equal(cdr.disposition, 'NO\nANSWER "x" é/');
  }),
  published('empty strings are kept, not turned into null', withCallRef('"ext":"","campaign_ref":""'), (cdr) => {
    assert.equal(cdr.ext, '');
    assert.equal(cdr.campaign_ref, '');
  }),

  // SIP termination code.
  deadLetter('SIP code "abc"', withCallRef('"SIP_termination_code":"abc"'), /^field "SIP_termination_code" is "abc", not an integer$/),
  deadLetter('SIP code 487.5', withCallRef('"SIP_termination_code":487.5'), /^field "SIP_termination_code" is 487.5, not an integer$/),
  published('SIP code as the string "487"', withCallRef('"SIP_termination_code":"487"'), (cdr) => {
    assert.equal(cdr.sip_termination_code, 487);
  }),
  deadLetter('SIP code 4e9, beyond int32', withCallRef('"SIP_termination_code":4e9'), /^field "SIP_termination_code" is 4e9, outside -2147483648..2147483647$/),
  deadLetter('SIP code 2147483648, one beyond int32', withCallRef('"SIP_termination_code":2147483648'), /^field "SIP_termination_code" is 2147483648, outside -2147483648..2147483647$/),
  deadLetter('SIP code "-2147483649" as a string, one below int32', withCallRef('"SIP_termination_code":"-2147483649"'), /^field "SIP_termination_code" is "-2147483649", outside -2147483648..2147483647$/),
  // Issue 10: an Avro int holds -1 (a dialler's "no code"), so it is carried, no longer refused.
  published('SIP code -1 is carried', withCallRef('"SIP_termination_code":-1'), (cdr) => {
    assert.equal(cdr.sip_termination_code, -1);
  }),
  published('SIP code -2147483648, the lowest int32', withCallRef('"SIP_termination_code":-2147483648'), (cdr) => {
    assert.equal(cdr.sip_termination_code, -2147483648);
  }),
  published('SIP code "2147483647" as a ten-digit string', withCallRef('"SIP_termination_code":"2147483647"'), (cdr) => {
    assert.equal(cdr.sip_termination_code, 2147483647);
  }),
  published('SIP code 487.0 and 4.87e2 are the integer 487', withCallRef('"sip_termination_code":4.87e2'), (cdr) => {
    assert.equal(cdr.sip_termination_code, 487);
  }),
  deadLetter('SIP code " 487" with a space', withCallRef('"SIP_termination_code":" 487"'), /^field "SIP_termination_code" is " 487", not an integer$/),
  deadLetter('SIP code ""', withCallRef('"SIP_termination_code":""'), /^field "SIP_termination_code" is "", not an integer$/),
  deadLetter('SIP code true', withCallRef('"SIP_termination_code":true'), /^field "SIP_termination_code" is true, not an integer$/),
  deadLetter('SIP code as an object', withCallRef('"SIP_termination_code":{"code":487}'), /^field "SIP_termination_code" is an object, not an integer$/),
  published('lower-case sip_termination_code', withCallRef('"sip_termination_code":486'), (cdr) => {
    assert.equal(cdr.sip_termination_code, 486);
  }),

  // Layout.
  published('CRLF, pretty-printed JSON', utf8('{\r\n  "internal_call_ref" : "call-1",\r\n  "ext" : "1001",\r\n  "queue" : {\r\n    "name" : "sales"\r\n  }\r\n}\r\n'), (cdr) => {
    assert.equal(cdr.internal_call_ref, 'call-1');
    assert.equal(cdr.ext, '1001');
    assert.deepEqual(cdr.extra, { queue: '{\r\n    "name" : "sales"\r\n  }' });
  }),
];
