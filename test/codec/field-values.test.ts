// The field rules one by one: what each kind of schema field carries, and the only values it
// refuses (those the field truly cannot represent). The bad-input catalogue checks the same
// rules through whole payloads; these pin the edges.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rejection, intField, requiredStringField, stringField } from '../../src/codec/field-values';

/** The field's value as JSON.parse gives it, and its text as written. */
const from = (text: string): [unknown, string] => [JSON.parse(text), text];

function reason(result: unknown): string {
  assert.ok(result instanceof Rejection, `expected a refusal, got ${JSON.stringify(result)}`);
  return result.reason;
}

describe('a string field carries a JSON number as its text exactly as written', () => {
  for (const text of [
    '98765432109876543210', // beyond 2^53: JSON.parse would round it to 98765432109876540000
    '9007199254740993',
    '123456789012345678901234567890123456789012345678901234567890',
    '27821234567.0',
    '2.7821234567e10',
    '2.7821234567E+10',
    '1e400', // JSON.parse makes it Infinity
    '-0',
    '-42',
    '0.1',
  ]) {
    test(text, () => {
      assert.equal(stringField('dial_number', ...from(text)), text);
      assert.equal(requiredStringField('internal_call_ref', ...from(text)), text);
    });
  }
});

describe('a string field: strings, nulls and what it refuses', () => {
  test('a string is kept as is, the empty string included', () => {
    assert.equal(stringField('ext', ...from('"1001"')), '1001');
    assert.equal(stringField('ext', ...from('""')), '');
  });

  test('null and an absent value are null', () => {
    assert.equal(stringField('ext', ...from('null')), null);
    assert.equal(stringField('ext', undefined, ''), null);
  });

  test('a boolean, an array or an object is refused: its text would pass for a string the dialler wrote', () => {
    assert.equal(reason(stringField('ext', ...from('true'))), 'field "ext" is true, not a string');
    assert.equal(reason(stringField('ext', ...from('[1]'))), 'field "ext" is an array, not a string');
    assert.equal(reason(stringField('ext', ...from('{"a":1}'))), 'field "ext" is an object, not a string');
  });

  test('a lone surrogate (only an escape can spell one) is refused: UTF-8 cannot carry it', () => {
    assert.match(reason(stringField('ext', ...from('"a\\udc00"'))), /^field "ext" contains a lone UTF-16 surrogate/);
    assert.equal(stringField('ext', ...from('"\\ud83d\\udcde"')), '📞');
  });
});

describe('the required string field (internal_call_ref)', () => {
  test('empty and blank strings are carried as written', () => {
    assert.equal(requiredStringField('internal_call_ref', ...from('""')), '');
    assert.equal(requiredStringField('internal_call_ref', ...from('" \\t "')), ' \t ');
  });

  test('null is refused: the schema field is a plain string', () => {
    assert.equal(reason(requiredStringField('internal_call_ref', ...from('null'))), 'field "internal_call_ref" is null');
  });
});

describe('an int field (the SIP code) carries every int32, refuses what an int cannot hold', () => {
  test('integers across the whole int32 range, negative ones included', () => {
    for (const n of [0, 200, 487, -1, 2147483647, -2147483648]) assert.equal(intField('sip', ...from(String(n))), n);
  });

  test('an integer written with a fraction or an exponent is that integer', () => {
    assert.equal(intField('sip', ...from('487.0')), 487);
    assert.equal(intField('sip', ...from('4.87e2')), 487);
  });

  test('minus zero is the int 0 (Avro has no negative zero)', () => {
    assert.ok(Object.is(intField('sip', ...from('-0')), 0));
    assert.ok(Object.is(intField('sip', ...from('"-0"')), 0));
  });

  test('a string of an optional minus and up to ten digits is its number', () => {
    assert.equal(intField('sip', ...from('"487"')), 487);
    assert.equal(intField('sip', ...from('"-1"')), -1);
    assert.equal(intField('sip', ...from('"2147483647"')), 2147483647);
  });

  test('outside int32, as a number or as a string, is refused', () => {
    assert.equal(reason(intField('sip', ...from('2147483648'))), 'field "sip" is 2147483648, outside -2147483648..2147483647');
    assert.equal(reason(intField('sip', ...from('-2147483649'))), 'field "sip" is -2147483649, outside -2147483648..2147483647');
    assert.equal(reason(intField('sip', ...from('"9999999999"'))), 'field "sip" is "9999999999", outside -2147483648..2147483647');
  });

  test('a fraction, text, a padded or signed string, a boolean or a container is refused', () => {
    assert.equal(reason(intField('sip', ...from('487.5'))), 'field "sip" is 487.5, not an integer');
    assert.equal(reason(intField('sip', ...from('1e400'))), 'field "sip" is 1e400, not an integer');
    for (const text of ['"abc"', '""', '" 487"', '"+487"', '"487.0"', '"12345678901"', 'false']) {
      assert.equal(reason(intField('sip', ...from(text))), `field "sip" is ${text}, not an integer`);
    }
    assert.equal(reason(intField('sip', ...from('{"code":487}'))), 'field "sip" is an object, not an integer');
  });
});
