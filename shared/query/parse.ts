import { LEVELS, normalizeLevel, type Level } from '../levels.ts';
import { tokenize } from './terms.ts';
import { isKnownField, type Clause, type Query, type RangeOp, type Term } from './tree.ts';

// The one query syntax of the CLI, the API and the page:
//   level:ERROR service:checkout user_id:42 "card declined" -healthcheck timeo* http.status:>=500
// bare words (all must appear), "quoted phrases", word* prefixes, -negation, key:value on the known
// fields and any metadata path, key:>=N comparisons, key:"quoted value", key:* (the field is there),
// and OR between two terms. Parsing never fails: what does not read as syntax is searched as words.

/** A field name: starts with a letter, _, @ or $; then also digits, dots, dashes and slashes. */
const KEY = /([\p{L}_@$][\p{L}\p{N}_.@$/-]*):/uy;
const RANGE = /^(>=|<=|>|<)(.+)$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** `message:` and `msg:` search the text, since the message is indexed as words. */
const TEXT_KEYS = new Set(['message', 'msg']);
const LEVEL_ORDER: readonly Level[] = LEVELS;

const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

type Piece = Clause | 'OR' | 'NOT';

export function parseQuery(input: string): Query {
  // What no store can hold is not in any event either (ingest replaces it the same way): a NUL and a
  // lone surrogate become U+FFFD, so the query means the same to PostgreSQL, OpenSearch and JavaScript.
  const pieces = new Reader(input.replace(UNSTORABLE, '\uFFFD')).pieces();
  const groups: Clause[][] = [];
  let joinNext = false;
  let negateNext = false;
  for (const piece of pieces) {
    if (piece === 'OR') {
      joinNext = groups.length > 0;
      continue;
    }
    if (piece === 'NOT') {
      negateNext = !negateNext;
      continue;
    }
    const clause = negateNext ? { ...piece, negate: !piece.negate } : piece;
    negateNext = false;
    if (joinNext) groups[groups.length - 1]!.push(clause);
    else groups.push([clause]);
    joinNext = false;
  }
  return { all: groups };
}

class Reader {
  private pos = 0;

  constructor(private readonly s: string) {}

  pieces(): Piece[] {
    const out: Piece[] = [];
    for (;;) {
      while (this.pos < this.s.length && /\s/u.test(this.s[this.pos]!)) this.pos++;
      if (this.pos >= this.s.length) return out;
      const piece = this.piece();
      if (piece) out.push(piece);
    }
  }

  private piece(): Piece | undefined {
    let negate = false;
    const next = this.s[this.pos + 1];
    if (this.s[this.pos] === '-' && next !== undefined && !/[\s-]/u.test(next)) {
      negate = true;
      this.pos++;
    }
    const start = this.pos;
    if (this.s[this.pos] === '"') {
      const phrase = this.quoted();
      return clause(negate, textTerm(phrase, false));
    }
    KEY.lastIndex = this.pos;
    const key = KEY.exec(this.s);
    const after = key ? this.s[KEY.lastIndex] : undefined;
    // "http://x", "std::map", "ERROR: boom" and "10:30" are words, not fields.
    if (key && after !== undefined && !/[\s:/]/u.test(after)) {
      this.pos = KEY.lastIndex;
      const term = this.s[this.pos] === '"' ? fieldTerm(key[1]!, this.quoted(), true) : fieldTerm(key[1]!, this.bare(), false);
      return clause(negate, term ?? textTerm(this.s.slice(start, this.pos), false));
    }
    const word = this.bare();
    if (!negate && (word === 'OR' || word === 'NOT')) return word;
    if (!negate && word === 'AND') return undefined;
    const prefix = word.length > 1 && word.endsWith('*');
    return clause(negate, textTerm(prefix ? word.slice(0, -1) : word, prefix));
  }

  /** Up to the next whitespace. */
  private bare(): string {
    const start = this.pos;
    while (this.pos < this.s.length && !/\s/u.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }

  /** A "quoted" text with \" and \\ escapes; an unclosed quote runs to the end. */
  private quoted(): string {
    let out = '';
    this.pos++;
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === '\\' && (this.s[this.pos] === '"' || this.s[this.pos] === '\\')) out += this.s[this.pos++];
      else out += c;
    }
    return out;
  }
}

function clause(negate: boolean, term: Term | undefined): Clause | undefined {
  return term ? { negate, term } : undefined;
}

/** Words to find; undefined when there is nothing searchable in them (punctuation only). */
function textTerm(text: string, prefix: boolean): Term | undefined {
  const tokens = tokenize(text);
  if (prefix) {
    // "timeo*" has "timeo" as a prefix; in "req-12*" the words before the last are words to find.
    const last = tokens.pop();
    if (last === undefined) return undefined;
    return { kind: 'text', tokens, prefix: last, raw: text };
  }
  return tokens.length ? { kind: 'text', tokens, raw: text } : undefined;
}

/** key:value, key:"value", key:val*, key:*, key:>=N; undefined when the value does not read as one. */
function fieldTerm(key: string, value: string, quoted: boolean): Term | undefined {
  const lower = key.toLowerCase();
  if (TEXT_KEYS.has(lower)) return textTerm(value, !quoted && value.endsWith('*'));
  const field = isKnownField(lower) ? lower : key;
  const prefix = !quoted && value.endsWith('*');
  const bare = prefix ? value.slice(0, -1) : value;
  if (field === 'level') return levelTerm(bare, prefix, quoted);
  if (!quoted) {
    const range = RANGE.exec(value);
    if (range) {
      const n = NUMBER.test(range[2]!) ? Number(range[2]) : NaN;
      if (!Number.isFinite(n)) return undefined;
      return { kind: 'range', field, op: range[1] as RangeOp, value: n };
    }
  }
  if (!quoted && !bare && !prefix) return undefined;
  return { kind: 'field', field, value: bare, prefix };
}

/** level:error, level:warn*, level:>=WARN (by severity); an unknown level matches no event. */
function levelTerm(value: string, prefix: boolean, quoted: boolean): Term {
  const range = quoted ? null : RANGE.exec(value);
  if (range) {
    const at = LEVEL_ORDER.indexOf(normalizeLevel(range[2]!) ?? ('' as Level));
    if (at < 0) return { kind: 'level', levels: [] };
    const op = range[1] as RangeOp;
    return { kind: 'level', levels: LEVEL_ORDER.filter((_, i) => (op === '>' ? i > at : op === '>=' ? i >= at : op === '<' ? i < at : i <= at)) };
  }
  if (prefix) return { kind: 'level', levels: LEVEL_ORDER.filter((l) => l.startsWith(value.toUpperCase())) };
  const level = normalizeLevel(value);
  return { kind: 'level', levels: level ? [level] : [] };
}
