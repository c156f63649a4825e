// What each kind of CDR field accepts from the dialler's JSON, and the sentence that
// explains a refusal. The rule throughout: carry a value exactly or refuse it; never
// round, trim, re-spell or guess.

/**
 * A refused value. Returned rather than thrown: a dialler bug can make every CDR a dead
 * letter, and the hot path should not pay for an exception and stack trace per record.
 */
export class Rejection {
  constructor(readonly reason: string) {}
}

// With the u flag a well-formed surrogate pair is one code point, so this matches only
// lone surrogates. JSON can spell one ("\ud800"); UTF-8, and so Avro, cannot carry it.
const LONE_SURROGATE = /\p{Cs}/u;
// A SIP code written as a string: an optional minus and up to ten digits (the range is checked after).
const SIP_CODE_TEXT = /^-?[0-9]{1,10}$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const SHOWN_MAX_CHARS = 40;

/**
 * A nullable string field. A string is kept as is; a JSON number becomes its text exactly as
 * written (98765432109876543210, 27821234567.0, 2.78e10, -0: every digit, no rounding, no
 * re-spelling), since diallers write call ids and phone numbers as numbers, whatever their
 * size; null or absent is null. A boolean, array or object is refused: its JSON text would be
 * indistinguishable from a string the dialler wrote. `valueText` is the value as written.
 */
export function stringField(key: string, value: unknown, valueText: string): string | null | Rejection {
  if (typeof value === 'string') {
    // Only a backslash escape can produce a lone surrogate: the payload is valid UTF-8.
    if (valueText.includes('\\') && hasLoneSurrogate(value)) {
      return new Rejection(`field "${key}" contains a lone UTF-16 surrogate, which UTF-8 cannot carry`);
    }
    return value;
  }
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return valueText;
  return new Rejection(`field "${key}" is ${show(value, valueText)}, not a string`);
}

/**
 * Like stringField, but null cannot be carried (the schema's field is a plain string). An
 * empty or blank string can, and is: it is what the dialler wrote, and refusing it would take
 * the call out of every consumer's accounting.
 */
export function requiredStringField(key: string, value: unknown, valueText: string): string | Rejection {
  const s = stringField(key, value, valueText);
  if (s === null) return new Rejection(`field "${key}" is null`);
  return s;
}

/**
 * A nullable Avro int field (the SIP termination code): a JSON integer, or a string of an
 * optional minus and 1-10 ASCII digits, within the int32 range Avro can hold (a negative code,
 * such as -1 for "none", is carried). Anything else is refused: an int cannot hold it.
 */
export function intField(key: string, value: unknown, valueText: string): number | null | Rejection {
  if (value === null || value === undefined) return null;
  let n: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return new Rejection(`field "${key}" is ${show(value, valueText)}, not an integer`);
    n = value;
  } else if (typeof value === 'string' && SIP_CODE_TEXT.test(value)) {
    n = Number(value);
  } else {
    return new Rejection(`field "${key}" is ${show(value, valueText)}, not an integer`);
  }
  if (n < INT32_MIN || n > INT32_MAX) {
    return new Rejection(`field "${key}" is ${show(value, valueText)}, outside ${INT32_MIN}..${INT32_MAX}`);
  }
  // -0 (written "-0" or "-0.0") is the int 0: Avro has no negative zero to carry.
  return n + 0;
}

/** True if `s` holds a surrogate without its partner (so it has no UTF-8 encoding). */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** How a value is named in a reason: as written, shortened; containers by kind. */
function show(value: unknown, valueText: string): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (valueText.length <= SHOWN_MAX_CHARS) return valueText;
  let cut = SHOWN_MAX_CHARS - 3;
  const last = valueText.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--; // don't split a surrogate pair
  return `${valueText.slice(0, cut)}...`;
}
