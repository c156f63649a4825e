import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanTopLevel } from '../../src/codec/top-level-entries';

function entries(text: string, maxDepth = 64): Array<[string, string]> {
  const scan = scanTopLevel(text, maxDepth);
  if (!scan.ok) assert.fail(`stopped at depth ${scan.depth}`);
  return scan.entries.map((e) => [e.key, e.valueText]);
}

test('yields every top-level key with its value text as written, in order', () => {
  assert.deepEqual(entries('{"a":1,"b":"two","c":null,"d":true,"e":-1.5e3}'), [
    ['a', '1'],
    ['b', '"two"'],
    ['c', 'null'],
    ['d', 'true'],
    ['e', '-1.5e3'],
  ]);
});

test('brackets, quotes, colons and commas inside strings and nested values do not confuse it', () => {
  const text = '{"k{":"v}\\",[:", "n":{"x":"}", "y":[1,{"z":","}]},"last":[]}';
  assert.deepEqual(entries(text), [
    ['k{', '"v}\\",[:"'],
    ['n', '{"x":"}", "y":[1,{"z":","}]}'],
    ['last', '[]'],
  ]);
});

test('whitespace around keys and values is not part of the value text', () => {
  assert.deepEqual(entries(' \r\n{ "a" :\t 12 ,\n "b" : { } \r\n} \n'), [
    ['a', '12'],
    ['b', '{ }'],
  ]);
});

test('an empty object has no entries', () => {
  assert.deepEqual(entries('{}'), []);
  assert.deepEqual(entries(' { } '), []);
});

test('escaped keys are decoded, and flagged, so "\\u0061" and "a" are the same key', () => {
  const scan = scanTopLevel('{"a":1,"\\u0061":2,"\\"q":3}', 64);
  assert.ok(scan.ok);
  assert.deepEqual(
    scan.entries.map((e) => [e.key, e.keyEscaped]),
    [
      ['a', false],
      ['a', true],
      ['"q', true],
    ],
  );
});

test('repeated keys are all reported (JSON.parse would keep only the last)', () => {
  assert.deepEqual(entries('{"a":1,"a":2}'), [
    ['a', '1'],
    ['a', '2'],
  ]);
});

test('stops at the first level deeper than maxDepth; the object itself is level 1', () => {
  assert.deepEqual(entries('{"a":[[{}]]}', 4), [['a', '[[{}]]']]);
  assert.deepEqual(scanTopLevel('{"a":[[{}]]}', 3), { ok: false, depth: 4 });
  assert.deepEqual(scanTopLevel(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 64), { ok: false, depth: 65 });
});
