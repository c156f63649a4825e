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
const SIP_CODE_DIGITS = /^[0-9]{1,9}$/;
const INT32_MAX = 2147483647;
const SHOWN_MAX_CHARS = 40;

/**
 * A nullable string field. A string is kept as is; an integer written as plain digits
 * (27821234567) becomes those digits; null or absent is null. Anything else is refused.
 * `valueText` is the value exactly as written in the payload.
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
  if (typeof value === 'number') return integerAsString(key, value, valueText);
  return new Rejection(`field "${key}" is ${show(value, valueText)}, not a string`);
}

/** Like stringField, but the field must be present and not blank. */
export function requiredStringField(key: string, value: unknown, valueText: string): string | Rejection {
  const s = stringField(key, value, valueText);
  if (s === null) return new Rejection(`field "${key}" is null`);
  if (typeof s === 'string' && s.trim() === '') {
    return new Rejection(`field "${key}" is ${s === '' ? 'empty' : 'only whitespace'}`);
  }
  return s;
}

/**
 * A nullable non-negative int field (the SIP termination code): a JSON integer in
 * 0..2^31-1, or a string of 1-9 ASCII digits. Anything else is refused.
 */
export function intField(key: string, value: unknown, valueText: string): number | null | Rejection {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return new Rejection(`field "${key}" is ${show(value, valueText)}, not an integer`);
    if (value < 0 || value > INT32_MAX) {
      return new Rejection(`field "${key}" is ${show(value, valueText)}, outside 0..${INT32_MAX}`);
    }
    return value;
  }
  if (typeof value === 'string' && SIP_CODE_DIGITS.test(value)) return Number(value);
  return new Rejection(`field "${key}" is ${show(value, valueText)}, not an integer`);
}

/** True if `s` holds a surrogate without its partner (so it has no UTF-8 encoding). */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

function integerAsString(key: string, value: number, valueText: string): string | Rejection {
  if (!Number.isInteger(value)) {
    return new Rejection(`field "${key}" is ${show(value, valueText)}, not a string or whole number`);
  }
  if (!Number.isSafeInteger(value)) {
    return new Rejection(
      `field "${key}" is the number ${show(value, valueText)}, too long to carry exactly; the dialler must send it as a string`,
    );
  }
  const digits = String(value);
  // 27821234567.0, 2.7821234567e10 and -0 are whole numbers, but turning them into
  // "27821234567" or "0" would change what the dialler wrote.
  if (digits !== valueText) {
    return new Rejection(`field "${key}" is the number ${show(value, valueText)}, not written as plain digits`);
  }
  return digits;
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
