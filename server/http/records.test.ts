import { describe, expect, it } from 'vitest';
import { bodyKind, splitRecords } from './records.ts';

const a = '{"message":"a"}';
const b = '{"message":"b","nested":{"x":[1,{"y":"}"}]}}';

describe('when a POST /logs body is split into records', () => {
  it('does read one object, an array, NDJSON and objects back to back alike', () => {
    const want = [{ json: a }, { json: b }];
    for (const body of [`[${a},${b}]`, ` [ ${a} ,\n ${b} ] `, `${a}\n${b}\n`, `${a}\r\n\r\n${b}`, `${a}${b}`, `\ufeff${a} ${b}`]) expect(splitRecords(body, 'json'), body).toEqual(want);
    expect(splitRecords(a, 'json')).toEqual([{ json: a }]);
    expect(splitRecords('[]', 'json')).toEqual([]);
  });

  it('does take a JSON string for a raw log line', () => {
    expect(splitRecords('["ERROR boom", {"message":"x"}]', 'json')).toEqual([{ line: 'ERROR boom' }, { json: '{"message":"x"}' }]);
    expect(splitRecords('"WARN a"\n"b\\tc"', 'json')).toEqual([{ line: 'WARN a' }, { line: 'b\tc' }]);
  });

  it('does refuse only the line that is not an object, naming its line', () => {
    expect(splitRecords(`${a}\n{not json\n42\n${b}`, 'json')).toEqual([
      { json: a },
      { invalid: expect.stringMatching(/^line 2 is not a JSON object \("\{not json"\): send one JSON object per line/) },
      { invalid: expect.stringMatching(/^line 3 is not a JSON object \("42"\)/) },
      { json: b },
    ]);
  });

  it('does find objects by their brackets and quotes on one line, escapes and braces in strings and all', () => {
    const tricky = String.raw`{"m":"a \" } { \\\" [ \\","n":{"o":["}"]}}`;
    expect(JSON.parse(tricky)).toBeTruthy();
    expect(splitRecords(`${tricky}${a}\n${tricky} ${b}`, 'json')).toEqual([{ json: tricky }, { json: a }, { json: tricky }, { json: b }]);
    // Balanced but malformed: its own record, which normalisation refuses; the object after it still lands.
    expect(splitRecords(`{"a":tru}${a}`, 'json')).toEqual([{ json: '{"a":tru}' }, { json: a }]);
  });

  it('does fall back to the full scan when an object does not close on its line, costing only that line when broken', () => {
    expect(splitRecords(`{\n  "message": "a",\n  "n": {"x": 1}\n}\n${b}`, 'json')).toEqual([{ json: '{\n  "message": "a",\n  "n": {"x": 1}\n}' }, { json: b }]);
    expect(splitRecords(`{"message":"open\n${a}`, 'json')).toEqual([{ invalid: expect.stringMatching(/^line 1 is not a JSON object/) }, { json: a }]);
    expect(splitRecords(`{"a":{"b":1}\n${a}`, 'json')).toEqual([{ invalid: expect.stringMatching(/^line 1 is not a JSON object/) }, { json: a }]);
  });

  it('does refuse an array element that is no object, and a broken array whole', () => {
    expect(splitRecords('[1, null]', 'json')).toEqual([{ invalid: expect.stringMatching(/^element 0 is 1, not an event/) }, { invalid: expect.stringMatching(/^element 1 is null/) }]);
    expect(() => splitRecords('[{"a":1},', 'json')).toThrow(/not valid JSON: element 1 of the array breaks at line 1/);
    expect(() => splitRecords('[{"a":1}] trailing', 'json')).toThrow(/what follows the array/);
  });

  it('does read text/plain as one log line per line, blank lines left out', () => {
    expect(splitRecords('ERROR a\r\n\n  \n{"level":"warn"}\n', 'lines')).toEqual([{ line: 'ERROR a' }, { line: '{"level":"warn"}' }]);
  });

  it('does read the content types agents send, and curl -d\'s form type when the body is JSON', () => {
    for (const type of [undefined, 'application/json; charset=utf-8', 'application/x-ndjson', 'application/vnd.api+json', 'application/octet-stream']) expect(bodyKind(type, a), type).toBe('json');
    expect(bodyKind('text/plain', a)).toBe('lines');
    expect(bodyKind('application/x-www-form-urlencoded', a)).toBe('json');
    expect(bodyKind('application/x-www-form-urlencoded', 'level=info')).toBeUndefined();
    expect(bodyKind('application/x-protobuf', a)).toBeUndefined();
  });

  it('does split a 100,000-line body in time proportional to its size', () => {
    const body = `${a}\n`.repeat(100_000);
    expect(splitRecords(body, 'json')).toHaveLength(100_000);
    const broken = 'x\n'.repeat(20_000);
    expect(splitRecords(broken, 'json').at(-1)).toEqual({ invalid: expect.stringMatching(/^line 20000 /) });
  });
});
