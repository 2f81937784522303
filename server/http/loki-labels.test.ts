import { describe, expect, it } from 'vitest';
import { parseLokiLabels } from './loki-labels.ts';

describe('when a Loki stream\'s labels are read', () => {
  it('does read Prometheus\' label text, Go escapes included', () => {
    expect({ ...(parseLokiLabels('{job="api", level="info"}') as object) }).toEqual({ job: 'api', level: 'info' });
    expect({ ...(parseLokiLabels(' { a = "x\\"y\\\\z\\n" ,b="\\u00e9\\x41", } ') as object) }).toEqual({ a: 'x"y\\z\n', b: 'éA' });
    expect({ ...(parseLokiLabels('{}') as object) }).toEqual({});
    expect({ ...(parseLokiLabels('{service.name="cart"}') as object) }).toEqual({ 'service.name': 'cart' });
  });

  it('does say why text is no label set', () => {
    expect(parseLokiLabels('job="api"')).toBe('a label set starts with "{"');
    expect(parseLokiLabels('{job=api}')).toBe('the value of label job: it is not in double quotes');
    expect(parseLokiLabels('{job="api}')).toBe('the value of label job: its closing quote is missing');
    expect(parseLokiLabels('{job="a" level="b"}')).toMatch(/^"," or "}" is expected at character 10/);
    expect(parseLokiLabels('{job="a\\q"}')).toBe('the value of label job: \\q is no escape');
    expect(parseLokiLabels('{job="a"} x')).toBe('nothing may follow the closing "}"');
    expect(parseLokiLabels('{9job="a"}')).toMatch(/^a label name is expected/);
  });

  it('does keep a label named __proto__ as a label', () => {
    const labels = parseLokiLabels('{__proto__="x"}') as Record<string, string>;
    expect(Object.keys(labels)).toEqual(['__proto__']);
    expect(labels.__proto__).toBe('x');
  });
});
