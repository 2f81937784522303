import { LEVELS, normalizeLevel, type Level } from '../levels.ts';
import { tokenize } from './terms.ts';
import { toGroups, type Expr } from './boolean.ts';
import { isKnownField, type Clause, type Query, type RangeOp, type Term } from './tree.ts';

// The one query syntax of the CLI, the API and the page:
//   level:ERROR service:checkout user_id:42 "card declined" -healthcheck timeo* http.status:>=500
// bare words (all must appear), "quoted phrases", word* prefixes, -negation, key:value on the known
// fields and any metadata path, key:>=N comparisons, key:"quoted value", key:* (the field is there),
// OR between two terms (binding closer than the space's AND: `a OR b c` is `(a OR b) c`), and
// (parentheses) grouping, -( ) and NOT ( ) too, and key:(a OR b) for values of one key. Parsing never fails: what does not read as syntax is
// searched as words, a parenthesis never closed closes at the end, one never opened is punctuation.

/** A field name: starts with a letter, _, @ or $; then also digits, dots, dashes and slashes. */
const KEY = /([\p{L}_@$][\p{L}\p{N}_.@$/-]*):/uy;
const RANGE = /^(>=|<=|>|<)(.+)$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** `message:` and `msg:` search the text, since the message is indexed as words. */
const TEXT_KEYS = new Set(['message', 'msg']);
const LEVEL_ORDER: readonly Level[] = LEVELS;

const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

type Piece = Clause | 'OR' | 'NOT' | '(' | ')';

/** Groups inside groups: a "(" deeper than this is punctuation (reading them is recursive, and the stack is finite). */
const MAX_GROUP_DEPTH = 32;

/** The query `input` means. Throws QueryTooComplex (boolean.ts) past the cap on terms. */
export function parseQuery(input: string): Query {
  // What no store can hold is not in any event either (ingest replaces it the same way): a NUL and a
  // lone surrogate become U+FFFD, so the query means the same to PostgreSQL, OpenSearch and JavaScript.
  const pieces = new Reader(input.replace(UNSTORABLE, '\uFFFD')).pieces();
  const e = new Grouper(pieces).all();
  return { all: e ? toGroups({ op: 'and', of: [e] }) : [] };
}

/** Pieces to an expression: a sequence is AND, OR joins the terms beside it, NOT and -( ) negate. */
class Grouper {
  private i = 0;

  constructor(private readonly p: Piece[]) {}

  /** The whole query; undefined when nothing in it is searchable. */
  all(): Expr | undefined {
    return this.sequence();
  }

  /** Up to the ")" closing the group (taken) or the end. */
  private sequence(): Expr | undefined {
    const of: Expr[] = [];
    while (this.i < this.p.length) {
      if (this.p[this.i] === ')') {
        this.i++;
        break;
      }
      const at = this.i;
      const e = this.alternatives();
      if (e) of.push(e);
      if (this.i === at) this.i++; // a stray OR: skipped, as "OR a OR" reads as "a"
    }
    return of.length > 1 ? { op: 'and', of } : of[0];
  }

  private alternatives(): Expr | undefined {
    const of: Expr[] = [];
    const first = this.unary();
    if (first) of.push(first);
    while (this.p[this.i] === 'OR') {
      this.i++;
      const e = this.unary();
      if (e) of.push(e);
    }
    return of.length > 1 ? { op: 'or', of } : of[0];
  }

  private unary(): Expr | undefined {
    const piece = this.p[this.i];
    if (piece === undefined || piece === 'OR' || piece === ')') return undefined;
    this.i++;
    if (piece === 'NOT') {
      const e = this.unary();
      return e && { op: 'not', of: e };
    }
    if (piece === '(') return this.sequence();
    return { op: 'term', clause: piece };
  }
}

class Reader {
  private pos = 0;
  /** The groups opened and not closed yet (only then does a ")" close one), each with the field it is of: `level:(ERROR OR WARN)`. */
  private readonly groups: (string | undefined)[] = [];

  constructor(private readonly s: string) {}

  private get depth(): number {
    return this.groups.length;
  }

  pieces(): Piece[] {
    const out: Piece[] = [];
    for (;;) {
      while (this.pos < this.s.length && /\s/u.test(this.s[this.pos]!)) this.pos++;
      if (this.pos >= this.s.length) return out;
      const c = this.s[this.pos];
      if (c === '(' && this.depth < MAX_GROUP_DEPTH) {
        out.push('(');
        this.groups.push(this.groups.at(-1)); // a group inside a field's group is of that field too
        this.pos++;
      } else if (c === ')' && this.depth > 0) {
        out.push(')');
        this.groups.pop();
        this.pos++;
      } else if (c === '-' && this.s[this.pos + 1] === '(' && this.depth < MAX_GROUP_DEPTH) {
        out.push('NOT');
        this.pos++;
      } else this.piece(out);
    }
  }

  private piece(out: Piece[]): void {
    let negate = false;
    const next = this.s[this.pos + 1];
    if (this.s[this.pos] === '-' && next !== undefined && !/[\s-]/u.test(next)) {
      negate = true;
      this.pos++;
    }
    const start = this.pos;
    // Inside `key:( )`, each value is of that key.
    const field = this.groups.at(-1);
    if (this.s[this.pos] === '"') {
      const phrase = this.quoted();
      return push(out, negate, (field !== undefined ? fieldTerm(field, phrase, true) : undefined) ?? textTerm(phrase, false));
    }
    KEY.lastIndex = this.pos;
    const key = KEY.exec(this.s);
    const after = key ? this.s[KEY.lastIndex] : undefined;
    if (key && after === '(' && this.depth < MAX_GROUP_DEPTH) {
      if (negate) out.push('NOT');
      out.push('(');
      this.groups.push(key[1]!);
      this.pos = KEY.lastIndex + 1;
      return;
    }
    // "http://x", "std::map", "ERROR: boom" and "10:30" are words, not fields.
    if (key && after !== undefined && !/[\s:/]/u.test(after)) {
      this.pos = KEY.lastIndex;
      const term = this.s[this.pos] === '"' ? fieldTerm(key[1]!, this.quoted(), true) : fieldTerm(key[1]!, this.bare(), false);
      return push(out, negate, term ?? textTerm(this.s.slice(start, this.pos), false));
    }
    const word = this.bare();
    if (!negate && (word === 'OR' || word === 'NOT')) return void out.push(word);
    if (!negate && word === 'AND') return;
    if (field !== undefined) {
      const term = fieldTerm(field, word, false);
      if (term) return push(out, negate, term);
    }
    const prefix = word.length > 1 && word.endsWith('*');
    push(out, negate, textTerm(prefix ? word.slice(0, -1) : word, prefix));
  }

  /**
   * Up to the next whitespace, or the ")" closing an open group: of the ")" a word ends with, those
   * past its own "(" close groups (`(f(x) OR y)` keeps f(x) whole).
   */
  private bare(): string {
    const start = this.pos;
    while (this.pos < this.s.length && !/\s/u.test(this.s[this.pos]!)) this.pos++;
    let word = this.s.slice(start, this.pos);
    if (this.depth > 0 && word.endsWith(')')) {
      let own = 0;
      for (const ch of word) own += ch === '(' ? 1 : ch === ')' ? -1 : 0;
      let closing = Math.min(-own, this.depth);
      while (closing-- > 0 && word.endsWith(')')) word = word.slice(0, -1);
      this.pos = start + word.length;
    }
    return word;
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

function push(out: Piece[], negate: boolean, term: Term | undefined): void {
  if (term) out.push({ negate, term });
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
