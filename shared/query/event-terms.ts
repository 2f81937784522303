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
  numberOfText,
  numberTerm,
  tokenize,
} from './terms.ts';

/** What an event is found by: the same for OpenSearch, PostgreSQL and live tail. */
export interface EventTerms {
  /**
   * The words of each text value, in order: message, then service, host, env, trace_id, request_id,
   * span_id, then every metadata string (shortest first when they could pass the budget, see budgetOrder). null stands for an occurrence of a word past its
   * MAX_POSITIONS_PER_WORD-th: it holds a place so that the words after it keep their positions.
   */
  values: (string | null)[][];
  /** Word → its positions (from 1; one position left empty between values, so no phrase spans two). */
  positions: Map<string, number[]>;
  /**
   * "a b" for every two words that follow each other with their positions kept, each once. PostgreSQL
   * indexes them beside the words: its GIN index keeps no positions, and without them a phrase of two
   * common words means reading every row that has both; its statistics then know how rare a phrase is.
   */
  pairs: string[];
  /** `path=value` of every metadata leaf (string, number, boolean) and of span_id, each once. */
  fields: string[];
  /** The paths that have a field term, each once. */
  fieldNames: string[];
  /** `path=<encoded number>` of every number (and numeric string), each once. */
  numbers: string[];
}

// Text fields of the event that are words too: "req-123" finds the event whose request_id it is.
const WORD_FIELDS = ['service', 'host', 'env', 'trace_id', 'request_id', 'span_id'] as const;

export function eventTerms(event: LogEvent): EventTerms {
  const own = event as unknown as Record<string, unknown>;
  const texts: string[] = [event.message];
  for (const k of WORD_FIELDS) if (typeof own[k] === 'string') texts.push(own[k]);
  const fields = new FieldCollector();
  // span_id is a field of its own for OTLP senders and a metadata key for others: one path for both.
  if (typeof own.span_id === 'string') fields.add('span_id', own.span_id);
  if (event.metadata) walkMetadata(event.metadata, texts, fields);
  return { ...wordsOf(texts), fields: [...fields.fields], fieldNames: [...fields.names], numbers: [...fields.numbers] };
}

/**
 * Texts shorter than this in all can never reach a budget (a word takes at least two characters with
 * its separator, and counts at most three times its length with its pair), so their order stays.
 */
const WITHIN_BUDGET_CHARS = Math.min(2 * MAX_POSITIONS, MAX_WORD_CHARS / 3) - 64;

/**
 * When an event's text could pass the budget, its values are read shortest first: the budget then cuts
 * the longest value, never a short one behind it (one 200 KB attribute must not hide the request id
 * beside it). Values are words apart, so their order changes no phrase.
 */
function budgetOrder(texts: string[]): string[] {
  let total = 0;
  for (const t of texts) total += t.length;
  return total < WITHIN_BUDGET_CHARS ? texts : [...texts].sort((a, b) => a.length - b.length);
}

function wordsOf(all: string[]): Pick<EventTerms, 'values' | 'positions' | 'pairs'> {
  const texts = budgetOrder(all);
  const values: (string | null)[][] = [];
  const positions = new Map<string, number[]>();
  const pairs = new Set<string>();
  let position = 1;
  // Words and pairs count against one budget, so both are always complete up to where it ends.
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
      let list = positions.get(token);
      if (!list) positions.set(token, (list = []));
      const kept = list.length < MAX_POSITIONS_PER_WORD ? token : null;
      if (kept !== null) list.push(position);
      if (kept !== null && previous !== null) pairs.add(`${previous} ${kept}`);
      value.push(kept);
      previous = kept;
      position += 1;
    }
    position += 1;
  }
  return { values, positions, pairs: [...pairs] };
}

class FieldCollector {
  readonly fields = new Set<string>();
  readonly names = new Set<string>();
  readonly numbers = new Set<string>();
  private chars = 0;

  add(path: string, value: string, number?: number): void {
    if (path.length > MAX_FIELD_PATH_CHARS || value.length > MAX_FIELD_VALUE_CHARS) return;
    const term = fieldTerm(path, value);
    if (!this.fields.has(term) && this.take(term)) {
      this.fields.add(term);
      this.names.add(path);
    }
    const n = number ?? numberOfText(value);
    if (n === undefined || !Number.isFinite(n)) return;
    const num = numberTerm(path, n);
    if (!this.numbers.has(num) && this.take(num)) this.numbers.add(num);
  }

  private take(term: string): boolean {
    if (this.fields.size + this.numbers.size >= MAX_FIELD_TERMS || this.chars + term.length > MAX_FIELD_CHARS) return false;
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
