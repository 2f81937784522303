// How deep an event's data may nest, enforced where events enter (`logflow ship` and the server alike),
// so that every store takes what passes: JSON.stringify in the worker, pg's parameter encoding and
// OpenSearch's _source filtering each recurse once per level and fail a few thousand levels down (the
// PostgreSQL sink failed its whole batch, OpenSearch's node died). Nothing is cut off: a part deeper
// than the limit is kept as its JSON text, a string, which every store holds at any length.
import { jsonString } from './json-string.ts';
import { jsonStringEnd, jsonValueEnd } from './json-members.ts';
import { wellFormed } from './unicode.ts';

/**
 * Objects and arrays nested in one metadata value, at most (`{"a":{"b":[1]}}` is 3). Logs rarely go
 * past 5; Elasticsearch's mapping refuses past 20; this leaves room and stays far below what any of
 * our stores can take.
 */
export const MAX_NESTING = 32;

const QUOTE = 34;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * The JSON text of one value (already known to be valid JSON) with every object or array that starts
 * deeper than `limit` levels replaced by a string holding its text. Walks the text without recursion.
 */
export function boundNesting(text: string, limit: number): string {
  let out = '';
  let copied = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = jsonStringEnd(text, i) - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth < limit) {
        depth++;
        continue;
      }
      const end = jsonValueEnd(text, i);
      out += text.slice(copied, i) + jsonString(text.slice(i, end));
      copied = end;
      i = end - 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * JSON text of a decoded value (what a protocol decoder built), as JSON.stringify writes it, except:
 * parts deeper than `limit` become strings of their JSON text, strings are made storable (wellFormed),
 * a bigint is written as its digits in a string (a JSON reader would round it), bytes as base64.
 */
export function boundedJson(value: unknown, limit: number): string {
  return write(value, limit);
}

function write(value: unknown, depthLeft: number): string {
  switch (typeof value) {
    case 'string':
      return jsonString(wellFormed(value));
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `"${value}"`;
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
  if (depthLeft === 0) return jsonString(stringifyDeep(value));
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + write(value[i], depthLeft - 1);
    return `${out}]`;
  }
  let out = '{';
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out += `${out.length > 1 ? ',' : ''}${jsonString(wellFormed(key))}:${write(v, depthLeft - 1)}`;
  }
  return `${out}}`;
}

/**
 * The JSON text of a part too deep to write by recursion, written with a stack of its own: a value
 * thousands of levels deep (JSON.parse builds those without complaint) never overflows the call stack.
 * Written as write() would at any depth; kept whole, as one string, by the caller.
 */
function stringifyDeep(root: object): string {
  let out = '';
  // Each frame: the container, its keys (undefined for an array), and the next index to write.
  const stack: { value: object; keys: string[] | undefined; next: number }[] = [];
  const open = (v: object) => {
    const keys = Array.isArray(v) ? undefined : Object.keys(v);
    out += keys === undefined ? '[' : '{';
    stack.push({ value: v, keys, next: 0 });
  };
  open(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const size = top.keys === undefined ? (top.value as unknown[]).length : top.keys.length;
    if (top.next >= size) {
      out += top.keys === undefined ? ']' : '}';
      stack.pop();
      continue;
    }
    const index = top.next++;
    const key = top.keys?.[index];
    const v = key === undefined ? (top.value as unknown[])[index] : (top.value as Record<string, unknown>)[key];
    if (key !== undefined && (v === undefined || typeof v === 'function' || typeof v === 'symbol')) continue;
    if (out.charCodeAt(out.length - 1) !== 91 && out.charCodeAt(out.length - 1) !== 123) out += ',';
    if (key !== undefined) out += `${jsonString(wellFormed(key))}:`;
    if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) open(v);
    else out += write(v, 0);
  }
  return out;
}
