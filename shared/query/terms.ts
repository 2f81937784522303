// How text becomes searchable terms, once for every store. OpenSearch and PostgreSQL each have a text
// analyser of their own, and they disagree (PostgreSQL keeps "req-123" as one word and a part, the
// standard analyser splits it; both split or keep "api.example.com" differently). So neither runs:
// LogFlow cuts the words here and both stores index exactly these terms, which is what lets the same
// query find the same events everywhere, and live tail (evaluate.ts) agree with both.

/** A word: letters (with their marks), digits and underscore, lowercased. Anything else separates words. */
const WORD = /[\p{L}\p{M}\p{N}_]+/gu;
/** Scripts written without spaces: each character is a word of its own, so a phrase of them matches inside a sentence. */
const SPACELESS = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
// eslint-disable-next-line no-control-regex -- a plain range test, cheaper than the Unicode one above
const NON_ASCII = /[^\x00-\x7f]/;
/** WORD where the text is ASCII alone (most log text), after lowercasing: no Unicode tables to consult, no match objects. */
const ASCII_WORD = /[a-z0-9_]+/g;

/** Longest word in code points: a longer run (a base64 blob) is cut into words of this length, one after the other. */
export const MAX_TOKEN_CHARS = 100;
/**
 * Word positions per event. PostgreSQL keeps positions up to 16383 and no further; text past that
 * (about 100 KB of an event) is not word-searchable in any store. The longest values are the ones cut.
 */
export const MAX_POSITIONS = 16_383;
/** PostgreSQL keeps 256 positions per word; later occurrences still exist, but phrases cannot use them. */
export const MAX_POSITIONS_PER_WORD = 256;
/**
 * Characters (UTF-16 units, at most 3 UTF-8 bytes each) of words indexed per event, and of field
 * terms: keeps a PostgreSQL tsvector (at most 1 MB) well within bounds whatever the script.
 */
export const MAX_WORD_CHARS = 128 * 1024;
export const MAX_FIELD_CHARS = 64 * 1024;
/** A metadata value longer than this is found by its words only, not by `key:value`. */
export const MAX_FIELD_VALUE_CHARS = 256;
/** A longer metadata path is not a field (its string values are still words). */
export const MAX_FIELD_PATH_CHARS = 128;
/** Field and number terms per event. */
export const MAX_FIELD_TERMS = 1000;
/** Metadata nested deeper than this is not walked (ingest keeps it shallower already). */
export const MAX_DEPTH = 64;

/** The most words tokenize can find in `text`, from its length: ASCII words need a separator between them, Han and kana do not. */
export function mostWords(text: string): number {
  return NON_ASCII.test(text) ? text.length : (text.length + 1) >> 1;
}

/** The words of a text, in order. Pure and deterministic: the same text gives the same words everywhere. */
export function tokenize(text: string): string[] {
  if (!NON_ASCII.test(text)) {
    const words = text.toLowerCase().match(ASCII_WORD);
    if (!words) return [];
    if (words.every((w) => w.length <= MAX_TOKEN_CHARS)) return words;
  }
  const out: string[] = [];
  for (const m of text.matchAll(WORD)) {
    const word = m[0].toLowerCase();
    // Most words: no spaceless script and short; the slow path below cuts the others.
    if (word.length <= MAX_TOKEN_CHARS && (!NON_ASCII.test(word) || !SPACELESS.test(word))) {
      out.push(word);
      continue;
    }
    let run = '';
    let runLength = 0;
    for (const ch of word) {
      if (SPACELESS.test(ch)) {
        if (run) out.push(run);
        out.push(ch);
        run = '';
        runLength = 0;
        continue;
      }
      run += ch;
      runLength += 1;
      if (runLength === MAX_TOKEN_CHARS) {
        out.push(run);
        run = '';
        runLength = 0;
      }
    }
    if (run) out.push(run);
  }
  return out;
}

/** A dotted path in a term: "=" and "\" are escaped so that the first bare "=" always ends the path. */
export function escapePath(path: string): string {
  return path.includes('=') || path.includes('\\') ? path.replace(/[\\=]/g, (c) => `\\${c}`) : path;
}

/** `path=value`: the one term a metadata (or span_id) value is found by. */
export function fieldTerm(path: string, value: string): string {
  return `${escapePath(path)}=${value}`;
}

/** The path and value of a field term. */
export function splitFieldTerm(term: string): { path: string; value: string } {
  let path = '';
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (c === '\\' && i + 1 < term.length) {
      path += term[++i];
    } else if (c === '=') {
      return { path, value: term.slice(i + 1) };
    } else {
      path += c;
    }
  }
  return { path, value: '' };
}

/**
 * A number as 16 hex digits whose text order is the numeric order (the IEEE 754 bits, sign bit
 * flipped for positives, every bit flipped for negatives), so that a range of numbers is a range of
 * terms in OpenSearch keywords and in PostgreSQL text with the C collation alike.
 */
const view = new DataView(new ArrayBuffer(8));

export function encodeNumber(n: number): string {
  view.setFloat64(0, n === 0 ? 0 : n);
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** `path=<encoded number>`: what a range on a path compares. */
export function numberTerm(path: string, n: number): string {
  return `${escapePath(path)}=${encodeNumber(n)}`;
}

/** The bounds, inclusive, of every number term of a path (for `<` and `>` open on one side). */
export function numberTermBounds(path: string): { min: string; max: string } {
  return { min: numberTerm(path, -Infinity), max: numberTerm(path, Infinity) };
}

const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A string value that is a number as JSON writes one (logfmt's status=500 arrives as text): its value, else undefined. */
export function numberOfText(text: string): number | undefined {
  if (text.length > 40 || !NUMBER_TEXT.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
