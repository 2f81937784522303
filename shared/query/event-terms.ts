import type { LogEvent } from '../event.ts';
import {
  fieldTerm,
  MAX_DEPTH,
  MAX_FIELD_CHARS,
  MAX_FIELD_PATH_CHARS,
  MAX_FIELD_TERMS,
  MAX_FIELD_VALUE_CHARS,
  MAX_POSITIONS,
  MAX_POSITIONS_PER_WORD,
  MAX_WORD_CHARS,
  mostWords,
  numberOfText,
  numberTerm,
  tokenize,
} from './terms.ts';

/** What an event is found by, as an OpenSearch document holds it: the same for every store and live tail. */
export interface DocumentTerms {
  /**
   * The words of each text value, in order: message, then service, host, env, trace_id, request_id,
   * span_id, then every metadata string (shortest first when they could pass the budget, see
   * wordsOf). null stands for an occurrence of a word past its MAX_POSITIONS_PER_WORD-th: it holds
   * a place so that the words after it keep their positions.
   */
  values: (string | null)[][];
  /** `path=value` of every metadata leaf (string, number, boolean) and of span_id, each once. */
  fields: string[];
  /** The paths that have a field term, each once. */
  fieldNames: string[];
  /** `path=<encoded number>` of every number (and numeric string), each once. */
  numbers: string[];
}

/** DocumentTerms, and the positions and pairs PostgreSQL and live tail match phrases with. */
export interface EventTerms extends DocumentTerms {
  /** Word → its positions (from 1; one position left empty between values, so no phrase spans two). */
  positions: Map<string, number[]>;
  /**
   * "a b" for every two words that follow each other with their positions kept, each once. PostgreSQL
   * indexes them beside the words: its GIN index keeps no positions, and without them a phrase of two
   * common words means reading every row that has both; its statistics then know how rare a phrase is.
   */
  pairs: string[];
}

// Text fields of the event that are words too: "req-123" finds the event whose request_id it is.
const WORD_FIELDS = ['service', 'host', 'env', 'trace_id', 'request_id', 'span_id'] as const;

export function eventTerms(event: LogEvent): EventTerms {
  const kept = new PositionsKept();
  const terms = termsOf(event, kept);
  return { ...terms, positions: kept.positions, pairs: [...kept.pairs] };
}

/**
 * The terms an OpenSearch document holds: the same values as eventTerms, cut at the same place, without
 * building the positions and pairs it has no use for (OpenSearch keeps positions itself).
 */
export function documentTerms(event: LogEvent): DocumentTerms {
  return termsOf(event, new CountsKept());
}

function termsOf(event: LogEvent, sink: WordSink): DocumentTerms {
  const own = event as unknown as Record<string, unknown>;
  const texts: string[] = [event.message];
  for (const k of WORD_FIELDS) if (typeof own[k] === 'string') texts.push(own[k]);
  const fields = new FieldCollector();
  // span_id is a field of its own for OTLP senders and a metadata key for others: one path for both.
  if (typeof own.span_id === 'string') fields.add('span_id', own.span_id);
  if (event.metadata) walkMetadata(event.metadata, texts, fields);
  return { values: wordsOf(texts, sink), fields: fields.fields.list, fieldNames: fields.names.list, numbers: fields.numbers.list };
}

/** Upper bounds, from lengths alone, of the positions (words and the gaps between values) and the budget characters `texts` can take. */
function bounds(texts: string[]): { positions: number; chars: number } {
  let positions = 0;
  let chars = 0;
  for (const t of texts) {
    positions += mostWords(t) + 1;
    chars += t.length;
  }
  // A word counts its length twice and the word before it once (with its pair), and one for the space.
  return { positions, chars: 3 * chars + positions };
}

/** What wordsOf keeps of each word it takes. */
interface WordSink {
  /** Whether it keeps where each word is (then every word goes through take, even in a short event). */
  readonly keepsPositions: boolean;
  /** Takes the word at `position` (after `previous`, null at a value's start); false when the word is past its MAX_POSITIONS_PER_WORD-th. */
  take(token: string, position: number, previous: string | null): boolean;
}

class PositionsKept implements WordSink {
  readonly keepsPositions = true;
  readonly positions = new Map<string, number[]>();
  readonly pairs = new Set<string>();

  take(token: string, position: number, previous: string | null): boolean {
    let list = this.positions.get(token);
    if (!list) this.positions.set(token, (list = []));
    if (list.length >= MAX_POSITIONS_PER_WORD) return false;
    list.push(position);
    if (previous !== null) this.pairs.add(`${previous} ${token}`);
    return true;
  }
}

class CountsKept implements WordSink {
  readonly keepsPositions = false;
  private readonly counts = new Map<string, number>();

  take(token: string): boolean {
    const n = this.counts.get(token) ?? 0;
    if (n >= MAX_POSITIONS_PER_WORD) return false;
    this.counts.set(token, n + 1);
    return true;
  }
}

function wordsOf(all: string[], sink: WordSink): (string | null)[][] {
  const most = bounds(all);
  // When the text could pass the budget, its values are read shortest first: the budget then cuts the
  // longest value, never a short one behind it (one 200 KB attribute must not hide the request id
  // beside it). Values are words apart, so their order changes no phrase.
  const texts = most.positions > MAX_POSITIONS || most.chars > MAX_WORD_CHARS ? [...all].sort((x, y) => x.length - y.length) : all;
  if (!sink.keepsPositions && most.positions <= MAX_POSITIONS_PER_WORD) {
    // Too few words for any to pass its MAX_POSITIONS_PER_WORD-th (most events), or for a budget to
    // end: each value is its words as they are.
    const values: string[][] = [];
    for (const text of texts) {
      const tokens = tokenize(text);
      if (tokens.length) values.push(tokens);
    }
    return values;
  }
  const values: (string | null)[][] = [];
  let position = 1;
  // Words and pairs count against one budget, so both are always complete up to where it ends; it is
  // counted alike when no pairs are kept, so every store cuts at the same word.
  let chars = 0;
  outer: for (const text of texts) {
    const tokens = tokenize(text);
    if (!tokens.length) continue;
    const value: (string | null)[] = [];
    values.push(value);
    let previous: string | null = null;
    for (const token of tokens) {
      chars += previous === null ? token.length : 2 * token.length + previous.length + 1;
      if (position > MAX_POSITIONS || chars > MAX_WORD_CHARS) break outer;
      const kept: string | null = sink.take(token, position, previous) ? token : null;
      value.push(kept);
      previous = kept;
      position += 1;
    }
    position += 1;
  }
  return values;
}

/** Distinct strings in insertion order: a look along the array while few (most events have a handful), a Set past that. */
class Distinct {
  readonly list: string[] = [];
  private set: Set<string> | undefined;

  has(x: string): boolean {
    if (this.set) return this.set.has(x);
    if (this.list.length < 16) return this.list.includes(x);
    this.set = new Set(this.list);
    return this.set.has(x);
  }

  /** Adds `x`, known not to be there yet. */
  push(x: string): void {
    this.list.push(x);
    this.set?.add(x);
  }
}

class FieldCollector {
  readonly fields = new Distinct();
  readonly names = new Distinct();
  readonly numbers = new Distinct();
  private chars = 0;

  add(path: string, value: string, number?: number): void {
    if (path.length > MAX_FIELD_PATH_CHARS || value.length > MAX_FIELD_VALUE_CHARS) return;
    const term = fieldTerm(path, value);
    if (!this.fields.has(term) && this.take(term)) {
      this.fields.push(term);
      if (!this.names.has(path)) this.names.push(path);
    }
    const n = number ?? numberOfText(value);
    if (n === undefined || !Number.isFinite(n)) return;
    const num = numberTerm(path, n);
    if (!this.numbers.has(num) && this.take(num)) this.numbers.push(num);
  }

  private take(term: string): boolean {
    if (this.fields.list.length + this.numbers.list.length >= MAX_FIELD_TERMS || this.chars + term.length > MAX_FIELD_CHARS) return false;
    this.chars += term.length;
    return true;
  }
}

/**
 * Every leaf of metadata, depth first in key order, without recursion (a deep document must not
 * exhaust the stack). Arrays add nothing to a path: tags:["a","b"] gives tags=a and tags=b, and
 * {"err":{"code":1}} and {"err.code":1} are both err.code, as OpenSearch reads dotted names.
 */
function walkMetadata(metadata: Record<string, unknown>, texts: string[], fields: FieldCollector): void {
  // Parallel stacks rather than an object per node: this runs for every event a sink writes.
  const paths: string[] = [];
  const values: unknown[] = [];
  const depths: number[] = [];
  const pushChildren = (path: string, value: object, depth: number) => {
    if (depth >= MAX_DEPTH) return;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        paths.push(path);
        values.push(value[i]);
        depths.push(depth + 1);
      }
      return;
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      paths.push(path ? `${path}.${k}` : k);
      values.push((value as Record<string, unknown>)[k]);
      depths.push(depth + 1);
    }
  };
  pushChildren('', metadata, 0);
  while (paths.length) {
    const path = paths.pop()!;
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'string') {
      texts.push(value);
      fields.add(path, value);
    } else if (typeof value === 'number') {
      fields.add(path, String(value), value);
    } else if (typeof value === 'boolean') {
      fields.add(path, String(value));
    } else if (value !== null && typeof value === 'object') {
      pushChildren(path, value, depth);
    }
  }
}
