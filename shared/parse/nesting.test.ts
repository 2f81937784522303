import { describe, expect, it } from 'vitest';
import { JsonMembers } from './json-members.ts';
import { boundedJson, boundNesting, MAX_NESTING } from './nesting.ts';
import { cleanJsonEscapes, wellFormed } from './unicode.ts';

/** How deep objects and arrays nest in a decoded value. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, d + 1);
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('when a JSON value nests deeper than the limit', () => {
  it('does keep the deep part as a string of its JSON text, losing nothing', () => {
    const text = `[${nested(40)},"x",{"b":${nested(3)}}]`;
    const bounded = JSON.parse(boundNesting(text, 5));
    expect(depthOf(bounded)).toBe(5);
    expect(bounded[1]).toBe('x');
    expect(bounded[2]).toEqual({ b: JSON.parse(nested(3)) });
    let inner = bounded[0];
    for (let i = 0; i < 3; i++) inner = inner.a; // the array is level 1: levels 2-5 are objects, the 6th a string
    expect(JSON.parse(inner.a)).toEqual(JSON.parse(nested(36)));
  });

  it('does leave a value within the limit as it is, brackets inside strings included', () => {
    const text = '{"a":"{{{{[[[[","b":[{"c":"\\"}"}]}';
    expect(boundNesting(text, 3)).toBe(text);
  });

  it('does read 100,000 levels without overflowing the stack', () => {
    const bounded = boundNesting(nested(100_000), MAX_NESTING);
    expect(depthOf(JSON.parse(bounded))).toBe(MAX_NESTING);
    const decoded = JSON.parse(nested(100_000)); // JSON.parse builds it; JSON.stringify would throw
    const written = boundedJson(decoded, MAX_NESTING);
    expect(depthOf(JSON.parse(written))).toBe(MAX_NESTING);
  });

  it('does write decoded values as JSON.stringify does within the limit', () => {
    const value = { s: 'é"\n', n: 1.5, t: true, z: null, a: [1, undefined, 'x'], skip: undefined, nan: Number.NaN, o: {} };
    expect(boundedJson(value, MAX_NESTING)).toBe(JSON.stringify(value));
    expect(boundedJson({ big: 12345678901234567890n, bytes: new Uint8Array([1, 2, 3]) }, MAX_NESTING)).toBe('{"big":"12345678901234567890","bytes":"AQID"}');
  });

  it('does tell how deep each scanned member goes', () => {
    const members = new JsonMembers();
    expect(members.scan(`{"flat":1,"one":{},"two":[[]],"deep":${nested(40)}}`)).toBe(true);
    expect([0, 1, 2, 3].map((m) => [members.tooDeep(m, 0), members.tooDeep(m, 1), members.tooDeep(m, 39), members.tooDeep(m, 40)])).toEqual([
      [false, false, false, false], [true, false, false, false], [true, true, false, false], [true, true, true, false],
    ]);
  });
});

describe('when text holds characters a store refuses', () => {
  it('does replace NUL and lone surrogates with U+FFFD and keep pairs', () => {
    expect(wellFormed('a\u0000b\ud800c\udc00d😀')).toBe('a\ufffdb\ufffdc\ufffdd😀');
    const same = 'plain';
    expect(wellFormed(same)).toBe(same);
  });

  it('does replace the escapes of NUL and lone surrogates in JSON text, and no other escape', () => {
    const text = '{"k\\u0000":"a\\u0000b\\ud800\\ud83d\\ude00\\udc00\\\\u0000\\n\\u0041"}';
    expect(JSON.parse(cleanJsonEscapes(text))).toEqual({ 'k\ufffd': 'a\ufffdb\ufffd😀\ufffd\\u0000\nA' });
    expect(cleanJsonEscapes('"\\ud800"')).toBe('"\\ufffd"');
    expect(cleanJsonEscapes('"no escapes"')).toBe('"no escapes"');
  });
});
