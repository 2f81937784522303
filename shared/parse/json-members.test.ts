import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonMembers } from './json-members.ts';

const members = new JsonMembers();

/** What JSON.parse says of a text: a JSON object, or not. */
function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The scanned members as [key, value] pairs, and each member's text read back on its own. */
function read(text: string): { entries: [string, unknown][]; texts: unknown[] } {
  const entries: [string, unknown][] = [];
  const texts: unknown[] = [];
  for (let m = 0; m < members.count; m++) {
    entries.push([members.key(text, m), members.value(text, m)]);
    texts.push(JSON.parse(`{${text.slice(members.keyStart(m), members.valueEnd(m))}}`));
  }
  return { entries, texts };
}

/** A seeded generator (mulberry32), so that a failure is the same on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIXTURES = new URL('./fixtures/', import.meta.url);
const jsonLines = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.ndjson'))
  .flatMap((name) => readFileSync(new URL(name, FIXTURES), 'utf8').split('\n'))
  .filter((line) => line !== '');

// Characters that matter to JSON's grammar, and some that must be refused or kept as they are.
const ALPHABET = [...'{}[]",:\\/ \t\n\r0123456789-+.eEtrufalsnbu', '\u0000', '\u001f', '\u007f', '\u2028', 'é', '😀', '\ud800'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 5 : 7));
  switch (pick) {
    case 0: return null;
    case 1: return next() < 0.5;
    case 2: return [0, -0.5, 1e21, 123456789012345680000, 3.14e-10, -42][Math.floor(next() * 6)];
    case 3: return [...Array(Math.floor(next() * 6))].map(() => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
    case 4: return '';
    case 5: return [...Array(Math.floor(next() * 4))].map(() => randomValue(next, depth + 1));
    default: return Object.fromEntries([...Array(Math.floor(next() * 4))].map((_, i) => [`k${i}${ALPHABET[Math.floor(next() * ALPHABET.length)]}`, randomValue(next, depth + 1)]));
  }
}

/** JSON.stringify, with random whitespace where JSON allows it. */
function spaced(value: unknown, next: () => number): string {
  const blank = () => [' ', '', '\t', '\n', '\r\n', ''][Math.floor(next() * 6)]!;
  if (Array.isArray(value)) return `[${blank()}${value.map((v) => spaced(v, next)).join(`${blank()},${blank()}`)}${blank()}]`;
  if (value !== null && typeof value === 'object') {
    return `{${blank()}${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}${blank()}:${blank()}${spaced(v, next)}`).join(`${blank()},`)}${blank()}}`;
  }
  return JSON.stringify(value);
}

function mutate(text: string, next: () => number): string {
  const at = Math.floor(next() * (text.length + 1));
  const c = ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  switch (Math.floor(next() * 3)) {
    case 0: return text.slice(0, at) + text.slice(at + 1);
    case 1: return text.slice(0, at) + c + text.slice(at);
    default: return text.slice(0, at) + c + text.slice(at + 1);
  }
}

describe('when a line is scanned for its JSON members', () => {
  it('does take exactly what JSON.parse takes as an object, on written edge cases', () => {
    const cases = [
      '{}', ' { } ', '{"a":1}', '{"a":1,}', '{,"a":1}', '{"a" 1}', '{"a":}', '{"a":1 "b":2}', "{'a':1}", '{a:1}', '{"a":1}x', '{"a":1}}',
      '{"a":01}', '{"a":-0}', '{"a":-}', '{"a":1.}', '{"a":.5}', '{"a":1e}', '{"a":1e+5}', '{"a":1E-5}', '{"a":+1}', '{"a":0x10}', '{"a":NaN}', '{"a":Infinity}',
      '{"a":tru}', '{"a":true}', '{"a":nul}', '{"a":null,"b":false}', '{"a":True}',
      '{"a":"\\u00e9\\uD83D\\uDE00"}', '{"a":"\\u00g1"}', '{"a":"\\x41"}', '{"a":"\\\'"}', '{"a":"\\/"}', '{"a":"tab\there"}', '{"a":"\u0001"}', '{"a":"\u007f"}',
      '{"a":"unclosed}', '{"a":"\\"}', '{"a":"\\\\"}', '{"a\\"b":1}', '{"":""}',
      '{"a":[1,[2,{"b":[]}],{}]}', '{"a":[1,]}', '{"a":[,1]}', '{"a":[1 2]}', '{"a":{"b":1,}}', '{"a":{"b"}}', '{"a":[}', '{"a":{]}', '{"a":[1]]}',
      '{\n\t"a" :\r\n 1 \n}', '{\u00a0"a":1}', '{"a":1}\u00a0', '[{"a":1}]', '"{}"', '', '{', '}', '{"a":1', '{"a":"\u2028"}',
    ];
    for (const text of cases) expect(members.scan(text), text).toBe(isJsonObject(text));
  });

  it('does take exactly what JSON.parse takes, and read the same keys and values, on random texts', () => {
    const next = random(20261125);
    const texts = [...jsonLines];
    for (let i = 0; i < 3000; i++) texts.push(spaced(randomValue(next, 3), next));
    for (let i = 0; i < 3000; i++) texts.push(spaced(Object.fromEntries([[`k${i}`, randomValue(next, 0)]]), next));
    let objects = 0;
    let refused = 0;
    for (const original of texts) {
      for (const text of [original, mutate(original, next), mutate(mutate(original, next), next)]) {
        const accepted = members.scan(text);
        expect(accepted, text).toBe(isJsonObject(text));
        if (!accepted) {
          refused++;
          continue;
        }
        objects++;
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const { entries, texts: alone } = read(text);
        // A key given twice is read twice; JSON.parse keeps the last value at the first place.
        expect(Object.fromEntries(entries)).toEqual(parsed);
        expect(alone.length).toBe(entries.length);
        alone.forEach((one, m) => expect(one).toEqual(Object.fromEntries([entries[m]!])));
      }
    }
    // The cases are worth something only if both answers came often.
    expect(objects).toBeGreaterThan(5000);
    expect(refused).toBeGreaterThan(3000);
  });

  it('does not overflow the stack on deep nesting', () => {
    const deep = `{"a":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expect(members.scan(deep)).toBe(true);
    expect(members.scan(`{"a":${'['.repeat(200_000)}}`)).toBe(false);
  });

  it('does grow past 32 members', () => {
    const wide = JSON.stringify(Object.fromEntries([...Array(100)].map((_, i) => [`k${i}`, i])));
    expect(members.scan(wide)).toBe(true);
    expect(members.count).toBe(100);
    expect(members.key(wide, 99)).toBe('k99');
    expect(members.value(wide, 99)).toBe(99);
  });
});
