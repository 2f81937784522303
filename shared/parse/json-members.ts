// The top-level members of a JSON object line, found where they are written rather than built into
// an object: `logflow ship` lifts a few of them (level, message, time, ids) and passes every other one on
// to metadata as the very text the line holds. JSON.parse would build every nested object and string
// only for JSON.stringify to write them out again, which was the most expensive part of a JSON line.
//
// The scan accepts exactly what JSON.parse accepts (RFC 8259: no comments, no trailing commas, no
// control characters inside strings, whitespace only space/tab/CR/LF), so a member passed on verbatim
// is always valid JSON; a property test checks that against JSON.parse itself.

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

/** What a member's value is, as far as lifting a field cares. */
export const ValueKind = {
  String: 1,
  /** A string holding a backslash escape: JSON.parse decodes it. */
  EscapedString: 2,
  Number: 3,
  Object: 4,
  /** An array, true, false or null. */
  Other: 5,
} as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

/**
 * One line's members, reused from line to line: member `m` has its key (with quotes) at
 * [keyStart(m), keyEnd(m)) and its value at [valueStart(m), valueEnd(m)).
 */
export class JsonMembers {
  count = 0;
  private spans = new Int32Array(5 * 32);

  keyStart(m: number): number {
    return this.spans[5 * m]!;
  }
  keyEnd(m: number): number {
    return this.spans[5 * m + 1]!;
  }
  valueStart(m: number): number {
    return this.spans[5 * m + 2]!;
  }
  valueEnd(m: number): number {
    return this.spans[5 * m + 3]!;
  }
  /** ValueKind; plus 8 when the key holds an escape, 16 when key or value holds a \u escape; the value's nesting depth from bit 5 on. */
  private flags(m: number): number {
    return this.spans[5 * m + 4]!;
  }
  kind(m: number): ValueKind {
    return (this.flags(m) & 7) as ValueKind;
  }

  /** Whether member `m`'s value nests objects and arrays more than `limit` levels deep (`{"a":[1]}` is 2). */
  tooDeep(m: number, limit: number): boolean {
    return this.flags(m) >>> 5 > limit;
  }

  /** Neither tooDeep nor hasUnicodeEscape, in one look: the member's text can be passed on as it is. */
  isPlain(m: number, limit: number): boolean {
    const flags = this.flags(m);
    return (flags & 16) === 0 && flags >>> 5 <= limit;
  }

  /** Whether member `m` writes a character as a \u escape (the only way JSON text can hold a NUL or a lone surrogate). */
  hasUnicodeEscape(m: number): boolean {
    return (this.flags(m) & 16) !== 0;
  }

  /** The key as JSON.parse would give it. */
  key(s: string, m: number): string {
    const start = this.keyStart(m);
    const end = this.keyEnd(m);
    return this.flags(m) & 8 ? (JSON.parse(s.slice(start, end)) as string) : s.slice(start + 1, end - 1);
  }

  /** The value as JSON.parse would give it. */
  value(s: string, m: number): unknown {
    const start = this.valueStart(m);
    const end = this.valueEnd(m);
    switch (this.kind(m)) {
      case ValueKind.String:
        return s.slice(start + 1, end - 1);
      case ValueKind.Number:
        return Number(s.slice(start, end)); // a JSON number reads the same through Number()
      default:
        return JSON.parse(s.slice(start, end));
    }
  }

  /**
   * Finds the members of `s` when it is one JSON object (whitespace around it allowed); false when it
   * is anything else, JSON or not.
   */
  scan(s: string): boolean {
    this.count = 0;
    let i = skipBlank(s, 0);
    if (s.charCodeAt(i) !== OPEN_BRACE) return false;
    i = skipBlank(s, i + 1);
    if (s.charCodeAt(i) === CLOSE_BRACE) return skipBlank(s, i + 1) === s.length;
    for (;;) {
      const keyStart = i;
      unicodeEscape = false;
      deepest = 0;
      const keyEnd = skipString(s, i);
      if (keyEnd < 0) return false;
      const keyFlag = escaped ? 8 : 0;
      i = skipBlank(s, keyEnd);
      if (s.charCodeAt(i) !== COLON) return false;
      const valueStart = skipBlank(s, i + 1);
      const valueEnd = skipValue(s, valueStart);
      if (valueEnd < 0) return false;
      this.push(keyStart, keyEnd, valueStart, valueEnd, kindOf(s.charCodeAt(valueStart)) | keyFlag | (unicodeEscape ? 16 : 0) | (Math.min(deepest, 0xffff) << 5));
      i = skipBlank(s, valueEnd);
      const c = s.charCodeAt(i);
      if (c === CLOSE_BRACE) return skipBlank(s, i + 1) === s.length;
      if (c !== COMMA) return false;
      i = skipBlank(s, i + 1);
    }
  }

  private push(keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, flags: number): void {
    const at = 5 * this.count++;
    if (at + 5 > this.spans.length) {
      const bigger = new Int32Array(2 * this.spans.length);
      bigger.set(this.spans);
      this.spans = bigger;
    }
    const spans = this.spans;
    spans[at] = keyStart;
    spans[at + 1] = keyEnd;
    spans[at + 2] = valueStart;
    spans[at + 3] = valueEnd;
    spans[at + 4] = flags;
  }
}

/** The kind of the value that starts with `first`, just read by skipValue. */
function kindOf(first: number): ValueKind {
  switch (first) {
    case QUOTE:
      return escaped ? ValueKind.EscapedString : ValueKind.String;
    case OPEN_BRACE:
      return ValueKind.Object;
    case OPEN_BRACKET:
    case 116: // t
    case 102: // f
    case 110: // n
      return ValueKind.Other;
    default:
      return ValueKind.Number;
  }
}

/** Whether the last string skipString read held an escape. */
let escaped = false;
/** Whether a \u escape was read since the scan of the current member began. */
let unicodeEscape = false;
/** The deepest nesting skipValue reached since the scan of the current member began. */
let deepest = 0;

function skipBlank(s: string, i: number): number {
  let c = s.charCodeAt(i);
  // Compact JSON has no blanks: one comparison then (every blank is at most a space; NaN past the end is not).
  if (!(c <= 32)) return i;
  while (c === 32 || c === 9 || c === 10 || c === 13) c = s.charCodeAt(++i);
  return i;
}

/** The end of the string starting at `i` (just past its closing quote), or -1. */
function skipString(s: string, i: number): number {
  if (s.charCodeAt(i) !== QUOTE) return -1;
  escaped = false;
  for (i++; ; i++) {
    const c = s.charCodeAt(i); // NaN past the end: fails every test below but the last
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      escaped = true;
      const e = s.charCodeAt(++i);
      if (e === 117 /* u */) {
        for (let k = 1; k <= 4; k++) if (!isHex(s.charCodeAt(i + k))) return -1;
        i += 4;
        unicodeEscape = true;
      } else if (!(e === QUOTE || e === BACKSLASH || e === 47 /* / */ || e === 98 || e === 102 || e === 110 || e === 114 || e === 116)) {
        return -1; // not one of \" \\ \/ \b \f \n \r \t
      }
    } else if (!(c >= 32)) {
      return -1; // a control character, or the end of the text
    }
  }
}

/** The end of the number starting at `i`, or -1. */
function skipNumber(s: string, i: number): number {
  if (s.charCodeAt(i) === 45 /* - */) i++;
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) i++;
  else if (isDigit(first)) while (isDigit(s.charCodeAt(++i)));
  else return -1;
  if (s.charCodeAt(i) === 46 /* . */) {
    if (!isDigit(s.charCodeAt(++i))) return -1;
    while (isDigit(s.charCodeAt(++i)));
  }
  const e = s.charCodeAt(i);
  if (e === 101 || e === 69 /* e E */) {
    const sign = s.charCodeAt(++i);
    if (sign === 43 || sign === 45) i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (isDigit(s.charCodeAt(++i)));
  }
  return i;
}

function skipLiteral(s: string, i: number): number {
  for (const word of LITERALS) if (s.startsWith(word, i)) return i + word.length;
  return -1;
}
const LITERALS = ['true', 'false', 'null'];

/** The closing character of each array and object skipValue is inside, innermost last. */
let closers = new Uint8Array(64);

/**
 * The end of the value starting at `i`, or -1. Nested arrays and objects are walked with a stack of
 * their closing characters rather than by recursion, so no depth of nesting can overflow the call stack.
 */
function skipValue(s: string, i: number): number {
  let depth = 0;
  for (;;) {
    // A value is expected at i.
    const c = s.charCodeAt(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const close = c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      i = skipBlank(s, i + 1);
      if (s.charCodeAt(i) === close) {
        if (depth === deepest) deepest = depth + 1; // an empty {} or [] is a level too
        i++;
      } else {
        if (depth === closers.length) {
          const deeper = new Uint8Array(2 * depth);
          deeper.set(closers);
          closers = deeper;
        }
        closers[depth++] = close;
        if (depth > deepest) deepest = depth;
        if (close === CLOSE_BRACE) i = skipKey(s, i);
        if (i < 0) return -1;
        continue;
      }
    } else {
      i = c === QUOTE ? skipString(s, i) : c === 45 || isDigit(c) ? skipNumber(s, i) : skipLiteral(s, i);
      if (i < 0) return -1;
    }
    // A value ended at i: close what it ends, until a comma asks for the next one.
    for (;;) {
      if (depth === 0) return i;
      i = skipBlank(s, i);
      const d = s.charCodeAt(i);
      const top = closers[depth - 1];
      if (d === top) {
        depth--;
        i++;
      } else if (d === COMMA) {
        i = skipBlank(s, i + 1);
        if (top === CLOSE_BRACE) i = skipKey(s, i);
        if (i < 0) return -1;
        break;
      } else {
        return -1;
      }
    }
  }
}

/** The end of the JSON value that starts at `i` of `s` (just past it), or -1 when none does. Never recurses. */
export function jsonValueEnd(s: string, i: number): number {
  return skipValue(s, i);
}

/** The end of the JSON string that starts at `i` of `s` (just past its closing quote), or -1. */
export function jsonStringEnd(s: string, i: number): number {
  return skipString(s, i);
}

/** Past `"key" :` and any blank after it, at the value; or -1. */
function skipKey(s: string, i: number): number {
  i = skipString(s, i);
  if (i < 0) return -1;
  i = skipBlank(s, i);
  return s.charCodeAt(i) === COLON ? skipBlank(s, i + 1) : -1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
