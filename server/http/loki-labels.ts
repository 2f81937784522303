// A Loki stream's labels as the protobuf push carries them: Prometheus' text form, `{job="app",
// level="info"}`, values quoted as Go quotes them (\" \\ \n \t, \xNN, \uNNNN).
import { setKey } from './protocol.ts';

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_.]/; // a dot: some clients send OpenTelemetry names (service.name) unchanged
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };

/** The labels as an object, or why the text is no label set. */
export function parseLokiLabels(text: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return 'a label set starts with "{"';
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return skipSpace(text, i + 1) === text.length ? labels : 'nothing may follow the closing "}"';
  for (;;) {
    if (!NAME_START.test(text[i] ?? '')) return `a label name is expected at character ${i + 1}`;
    const start = i;
    while (i < text.length && NAME_PART.test(text[i]!)) i++;
    const name = text.slice(start, i);
    i = skipSpace(text, i);
    if (text[i] !== '=') return `label ${name} has no "=" after it`;
    i = skipSpace(text, i + 1);
    const value = quoted(text, i);
    if (typeof value === 'string') return `the value of label ${name}: ${value}`;
    setKey(labels, name, value.text);
    i = skipSpace(text, value.end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
    else if (text[i] === '}') return skipSpace(text, i + 1) === text.length ? labels : 'nothing may follow the closing "}"';
    else return `"," or "}" is expected at character ${i + 1}`;
    if (text[i] === '}') return skipSpace(text, i + 1) === text.length ? labels : 'nothing may follow the closing "}"'; // a trailing comma
  }
}

/** The Go-quoted string at `i`, and where it ends; or why it is none. */
function quoted(text: string, i: number): { text: string; end: number } | string {
  if (text[i] !== '"') return 'it is not in double quotes';
  let out = '';
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j]!;
    if (c === '"') return { text: out, end: j + 1 };
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = text[++j];
    if (e === undefined) break;
    if (ESCAPES[e] !== undefined) out += ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const digits = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = text.slice(j + 1, j + 1 + digits);
      const code = /^[0-9a-fA-F]+$/.test(hex) && hex.length === digits ? Number.parseInt(hex, 16) : NaN;
      if (!(code <= 0x10ffff)) return `\\${e}${hex} is no character`;
      out += String.fromCodePoint(code);
      j += digits;
    } else return `\\${e} is no escape`;
  }
  return 'its closing quote is missing';
}

function skipSpace(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  return i;
}
