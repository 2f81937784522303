import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LEVELS } from '../levels.ts';
import { parseLine as parseToText, type LineFormat, type ParsedLine as ParsedToText } from './line.ts';

/** A parsed line with its metadata read back as the server reads it (of two equal keys, the last). */
type ParsedLine = Omit<ParsedToText, 'metadata'> & { metadata?: Record<string, unknown> };

function parseLine(line: string, format?: LineFormat): ParsedLine {
  const { metadata, ...parsed } = parseToText(line, format);
  return metadata === undefined ? parsed : { ...parsed, metadata: JSON.parse(`{${metadata}}`) as Record<string, unknown> };
}

// The fixtures are read-only sample files kept beside the test, not state the test sets up, so this
// stays a unit test.
function parseFixture(name: string): ParsedLine[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  return text.split('\n').filter((line) => line !== '').map((line) => parseLine(line));
}
const levelsOf = (lines: ParsedLine[]) => lines.map((l) => l.level);

describe('when the line is pino JSON', () => {
  const lines = parseFixture('pino.ndjson');

  it('does map numeric levels and epoch-ms times, and lifts host, request id, trace id and name', () => {
    expect(levelsOf(lines)).toEqual(['INFO', 'INFO', 'INFO', 'ERROR', 'DEBUG', 'WARN', 'ERROR', 'DEBUG']);
    expect(lines[0]).toEqual({ timestamp: '2026-11-01T10:00:00.000Z', level: 'INFO', message: 'Server listening at http://0.0.0.0:3000', host: 'web-1', metadata: { pid: 4821 } });
    expect(lines[1]).toMatchObject({ timestamp: '2026-11-01T10:00:01.234Z', request_id: 'req-1', metadata: { req: { method: 'GET', url: '/health' } } });
    expect(lines[3]).toMatchObject({ service: 'billing', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', metadata: { span_id: '00f067aa0ba902b7', err: { code: 'ECONNREFUSED' } } });
  });

  it('does keep the whole line as message when there is no msg', () => {
    expect(lines[4]!.message).toBe('{"level":20,"time":1793527203000,"pid":4821,"hostname":"web-1","cache":"miss","key":"user:42"}');
    expect(lines[4]!.metadata).toEqual({ pid: 4821, cache: 'miss', key: 'user:42' });
  });
});

describe('when the line is bunyan JSON', () => {
  const lines = parseFixture('bunyan.ndjson');

  it('does take name as service, ISO time, req_id, and keeps pid and v as data', () => {
    expect(levelsOf(lines)).toEqual(['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG', 'ERROR']);
    expect(lines[1]).toEqual({
      timestamp: '2026-11-01T10:00:01.250Z', level: 'INFO', message: 'handled request', service: 'myapp', host: 'api-7c9f',
      request_id: '0c3a6b4e-1f2d-4c8e-9a0b-5d6e7f8a9b0c', metadata: { pid: 40161, route: '/users/:id', v: 0 },
    });
    expect(lines[3]!.metadata).toMatchObject({ err: { message: 'boom', name: 'Error' } });
  });
});

describe('when the line is winston JSON', () => {
  const lines = parseFixture('winston.ndjson');

  it('does read string levels, including winston-only names and colorized ones', () => {
    expect(levelsOf(lines)).toEqual(['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG', 'DEBUG', 'ERROR']);
    expect(lines[6]).toEqual({ timestamp: '2026-11-01T10:00:06.000Z', level: 'ERROR', message: 'colorized by format.colorize()' });
  });

  it('does take message, timestamp and defaultMeta service, and keeps the stack as data', () => {
    expect(lines[3]).toEqual({
      timestamp: '2026-11-01T10:00:03.000Z', level: 'ERROR', message: 'Payment failed: card declined', service: 'checkout',
      metadata: { orderId: 'ord_1029', stack: 'Error: Payment failed: card declined\n    at charge (/app/src/pay.js:41:11)' },
    });
  });
});

describe('when the line is structlog JSON', () => {
  const lines = parseFixture('structlog.ndjson');

  it('does take event as message and microsecond ISO times to milliseconds', () => {
    expect(levelsOf(lines)).toEqual(['INFO', 'WARN', 'ERROR', 'DEBUG', 'ERROR']);
    expect(lines[0]).toEqual({ timestamp: '2026-11-01T10:00:00.123Z', level: 'INFO', message: 'user logged in', metadata: { user_id: 42, logger: 'app.auth' } });
    expect(lines[2]).toMatchObject({ request_id: 'f1e2d3c4', metadata: { order_id: 'ord_77' } });
    expect(lines[3]).toEqual({ timestamp: '2026-11-01T10:00:03.000Z', level: 'DEBUG', message: 'worker started', env: 'production' });
  });
});

describe('when the line is logfmt', () => {
  const lines = parseFixture('logfmt.log');

  it('does read slog, logrus, go-kit and Heroku router lines', () => {
    expect(levelsOf(lines)).toEqual(['INFO', 'ERROR', 'WARN', 'WARN', 'DEBUG', 'INFO', 'ERROR', 'INFO']);
    expect(lines.map((l) => l.timestamp)).toEqual([
      '2026-11-01T10:00:00.000Z', '2026-11-01T10:00:00.123Z', '2026-11-01T10:00:02.000Z', '2026-11-01T10:00:03.000Z',
      '2026-11-01T10:00:04.123Z', undefined, undefined, '2026-11-01T10:00:07.000Z',
    ]);
  });

  it('does unquote values, lift known keys and keep the rest as strings, with flags as true', () => {
    expect(lines[1]).toEqual({
      timestamp: '2026-11-01T10:00:00.123Z', level: 'ERROR', message: 'payment failed', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      metadata: { user: '42', err: 'card declined' },
    });
    expect(lines[0]).toMatchObject({ env: 'staging', metadata: { addr: ':8080' } });
    expect(lines[4]!.metadata).toEqual({ caller: 'main.go:42', transport: 'HTTP', addr: ':8081', dry_run: true });
    expect(lines[7]!.message).toBe('query "users" done');
  });

  it('does not take Heroku\'s service=15ms for a service name', () => {
    expect(lines[5]).toMatchObject({ request_id: '8601b555-6a11-4c2d-8a0e-3c1b2f6d7e8a', host: 'myapp.herokuapp.com', metadata: { service: '15ms', status: '200' } });
    expect(lines[5]!.service).toBeUndefined();
  });
});

describe('when the line is an nginx access line', () => {
  const lines = parseFixture('nginx-access.log');

  it('does take the level from the status and the time from the brackets', () => {
    expect(levelsOf(lines)).toEqual(['INFO', 'WARN', 'WARN', 'ERROR', 'INFO', 'WARN']);
    expect(lines.map((l) => l.timestamp)).toEqual([
      '2026-11-25T13:00:00.000Z', '2026-11-25T13:00:01.000Z', '2026-11-25T13:00:02.000Z', '2026-11-25T13:00:03.000Z', '2026-11-25T13:00:04.000Z', '2026-11-25T13:00:05.000Z',
    ]);
    expect(lines[0]!.message).toBe('127.0.0.1 - - [25/Nov/2026:13:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0"');
  });

  it('does apply the offset in the brackets', () => {
    expect(parseLine('10.1.1.1 - - [25/Nov/2026:13:00:00 -0530] "GET / HTTP/1.1" 200 1 "-" "-"').timestamp).toBe('2026-11-25T18:30:00.000Z');
  });
});

describe('when the line is plain text', () => {
  const lines = parseFixture('plain.log');

  it('does find the first level word and a leading time, and keeps the whole line as message', () => {
    expect(levelsOf(lines)).toEqual(['ERROR', 'WARN', 'ERROR', 'INFO', 'WARN', 'ERROR', 'INFO', 'INFO', 'INFO', 'INFO']);
    expect(lines.map((l) => l.timestamp)).toEqual([
      '2026-11-01T10:00:00.123Z', '2026-11-01T10:00:01.456Z', '2026-11-01T10:00:02.000Z', '2026-11-01T10:00:03.000Z',
      undefined, undefined, '2026-11-01T10:00:05.000Z', undefined, undefined, undefined,
    ]);
    expect(lines[0]).toEqual({ timestamp: '2026-11-01T10:00:00.123Z', level: 'ERROR', message: '2026-11-01 10:00:00,123 ERROR [app.db] connection refused, retrying in 5s' });
  });

  it('does match level words whole, in brackets, angles, after level= and before a colon', () => {
    expect(parseLine('<ERROR> disk full').level).toBe('ERROR');
    expect(parseLine('[warn] slow').level).toBe('WARN');
    expect(parseLine('request done level=error status=500').level).toBe('ERROR');
    expect(parseLine('CRITICAL: out of memory').level).toBe('ERROR');
    expect(parseLine('DEBUGGING the errors, ERROR_CODE=5').level).toBe('INFO');
    expect(parseLine('\u001b[31mERROR\u001b[0m boom').level).toBe('ERROR');
    expect(parseLine(`${'x'.repeat(120)} ERROR`).level).toBe('INFO');
  });

  it('does leave a plain key=value line without a level, message or time key as text', () => {
    expect(parseLine('user=bob logged in')).toEqual({ level: 'INFO', message: 'user=bob logged in' });
  });
});

describe('when the JSON uses ECS or GCP field names', () => {
  it('does read dotted ECS keys', () => {
    const line = '{"@timestamp":"2026-11-01T10:00:00.000Z","log.level":"warn","message":"disk 91%","service.name":"api","trace.id":"abc123","ecs.version":"8.10.0"}';
    expect(parseLine(line)).toEqual({ timestamp: '2026-11-01T10:00:00.000Z', level: 'WARN', message: 'disk 91%', service: 'api', trace_id: 'abc123', metadata: { 'ecs.version': '8.10.0' } });
  });

  it('does read nested ECS objects and leaves them in metadata', () => {
    const parsed = parseLine('{"log":{"level":"error","logger":"db"},"message":"x","service":{"name":"api"},"trace":{"id":"t1"}}');
    expect(parsed).toMatchObject({ level: 'ERROR', service: 'api', trace_id: 't1', metadata: { log: { logger: 'db' } } });
  });

  it('does read GCP severity and python levelname', () => {
    expect(parseLine('{"severity":"CRITICAL","message":"x"}').level).toBe('ERROR');
    expect(parseLine('{"levelname":"WARNING","message":"x","name":"app.db"}')).toMatchObject({ level: 'WARN', service: 'app.db' });
  });
});

describe('when a JSON time is a number', () => {
  it('does tell epoch seconds, milliseconds, microseconds and nanoseconds apart', () => {
    for (const time of ['1793527200.123', '1793527200123', '1793527200123000', '1793527200123000000']) {
      expect(parseLine(`{"ts":${time},"msg":"x"}`).timestamp).toBe('2026-11-01T10:00:00.123Z');
    }
    expect(parseLine('ts=1793527200 level=info msg=x').timestamp).toBe('2026-11-01T10:00:00.000Z');
  });

  it('does keep an uptime counter as data rather than a 1970 time', () => {
    expect(parseLine('{"time":12.5,"msg":"x"}')).toEqual({ level: 'INFO', message: 'x', metadata: { time: 12.5 } });
  });
});

describe('when a known field cannot be used as is', () => {
  it('does keep strings over 256 characters in metadata', () => {
    const long = 'h'.repeat(257);
    const parsed = parseLine(JSON.stringify({ msg: 'x', host: long, trace_id: 't' }));
    expect(parsed.host).toBeUndefined();
    expect(parsed.metadata).toEqual({ host: long });
  });

  it('does take the best-ranked key whatever the order, and keep the others as data', () => {
    expect(parseLine('{"message":"second choice","msg":"first choice"}')).toEqual({ level: 'INFO', message: 'first choice', metadata: { message: 'second choice' } });
    expect(parseLine('{"name":"bunyan-name","service":{"name":"api"}}')).toMatchObject({ service: 'api', metadata: { name: 'bunyan-name', service: { name: 'api' } } });
  });

  it('does keep non-string hosts and unknown levels in metadata, with level INFO', () => {
    expect(parseLine('{"level":"chatty","host":["h"],"msg":"x"}')).toEqual({ level: 'INFO', message: 'x', metadata: { level: 'chatty', host: ['h'] } });
  });

  it('does read an ECS host object for its name, and keep the object', () => {
    expect(parseLine('{"host":{"name":"h","ip":"10.0.0.1"},"msg":"x"}')).toEqual({ level: 'INFO', message: 'x', host: 'h', metadata: { host: { name: 'h', ip: '10.0.0.1' } } });
  });
});

describe('when a format is forced', () => {
  it('does fall back to text when the line is not that format', () => {
    expect(parseLine('ERROR plain words', 'json')).toEqual({ level: 'ERROR', message: 'ERROR plain words' });
    expect(parseLine('ERROR plain words', 'logfmt')).toEqual({ level: 'ERROR', message: 'ERROR plain words' });
    expect(parseLine('{"level":"error","msg":"x"}', 'text')).toEqual({ level: 'ERROR', message: '{"level":"error","msg":"x"}' });
  });

  it('does read logfmt without a level key when told to', () => {
    expect(parseLine('user=bob action=login', 'logfmt')).toEqual({ level: 'INFO', message: 'user=bob action=login', metadata: { user: 'bob', action: 'login' } });
  });
});

describe('when the line is garbage', () => {
  const formats: LineFormat[] = ['auto', 'json', 'logfmt', 'text'];
  const awkward = [
    '', ' ', '{', '}', '{}', '[]', '[1,2]', 'null', '{"level":{}}', '{"level":null,"msg":null}', '{"time":1e400,"msg":"x"}',
    '{"time":-1e308}', '{"level":1e308}', '{"ts":"99999999999999999999"}', '{"time":"2026-13-45T99:99:99Z"}',
    'a="unterminated', 'a=\\', '=', '==', 'level=', 'msg="x\\"', '"quoted"=1 level=info', '2026-11-01T', '[25/Nov/2026:',
    '1.2.3.4 - - [25/Xyz/2026:13:00:00 +0000] "GET /" 999 0', '\u0000\u0001\uffff\ud800', 'E1101', '{"msg":"x"', '\ufeff{"msg":"bom"}',
  ];

  it('does not throw, and keeps every line with a level and a string message', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = '{}[]":=,\\ \tlevelmsgtime0123456789-TZ.\u001b\u00e9\ud83d\ude00';
    const lines = [...awkward];
    for (let n = 0; n < 2000; n++) {
      const length = Math.floor(random() * 80);
      let line = '';
      for (let i = 0; i < length; i++) line += n % 2 ? String.fromCharCode(Math.floor(random() * 0x10000)) : alphabet[Math.floor(random() * alphabet.length)];
      lines.push(line);
    }
    for (const line of lines) {
      for (const format of formats) {
        const parsed = parseLine(line, format);
        expect(LEVELS).toContain(parsed.level);
        expect(typeof parsed.message).toBe('string');
        if (parsed.timestamp !== undefined) expect(new Date(parsed.timestamp).toISOString()).toBe(parsed.timestamp);
      }
    }
  });

  // A pattern that backtracks catastrophically would take hours on these; the test's own time limit
  // (far above the milliseconds they take) catches that. Speed itself is bench/parse.bench.ts's job.
  it('does read megabyte lines built to make a regular expression backtrack', () => {
    const huge = ['1.2.3.4 '.repeat(150_000), `{${'"a":1,'.repeat(150_000)}`, `a=${'"\\'.repeat(300_000)}`, `level=info ${'x='.repeat(400_000)}`, `[${' '.repeat(1_000_000)}`];
    for (const line of huge) for (const format of formats) expect(typeof parseLine(line, format).message).toBe('string');
  }, 30_000);

  it('does keep the line itself as message for an object without a message', () => {
    expect(parseLine('{}')).toEqual({ level: 'INFO', message: '{}' });
    expect(parseLine('{"level":{}}')).toEqual({ level: 'INFO', message: '{"level":{}}', metadata: { level: {} } });
  });
});

describe('when a level is named like an Object.prototype property', () => {
  it('does not take "constructor" or "__proto__" for a level', () => {
    expect(parseLine('{"level":"constructor","msg":"x"}')).toEqual({ level: 'INFO', message: 'x', metadata: { level: 'constructor' } });
    expect(parseLine('level=__proto__ msg=x').level).toBe('INFO');
  });
});

describe('when a line has a __proto__ key', () => {
  it('does keep it as plain data and change no prototype', () => {
    for (const line of ['{"__proto__":{"polluted":"yes"},"msg":"x"}', 'level=info msg=x __proto__=yes', 'level=info __proto__ msg=x']) {
      const parsed = parseLine(line);
      expect(Object.getPrototypeOf(parsed.metadata)).toBe(Object.prototype);
      expect(Object.keys(parsed.metadata!)).toEqual(['__proto__']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(parsed.metadata!.polluted).toBeUndefined();
    }
  });
});

describe('when a JSON record carries the raw line an agent read in `log`', () => {
  it('does read a Docker json-file line: the line\'s own level and time, the record\'s keys kept', () => {
    const parsed = parseLine('{"log":"2026-11-01T10:00:00.123Z ERROR payment failed\\n","stream":"stderr","time":"2026-11-01T10:00:05.000000001Z"}');
    expect(parsed).toEqual({
      timestamp: '2026-11-01T10:00:00.123Z', level: 'ERROR', message: '2026-11-01T10:00:00.123Z ERROR payment failed',
      metadata: { stream: 'stderr', time: '2026-11-01T10:00:05.000000001Z' },
    });
  });

  it('does read a JSON line inside it, and the agent\'s time when the line has none', () => {
    const parsed = parseLine(JSON.stringify({ log: '{"level":50,"msg":"boom","pid":7,"spanId":"s1"}\n', stream: 'stdout', time: '2026-11-01T10:00:05Z' }));
    expect(parsed).toEqual({ timestamp: '2026-11-01T10:00:05.000Z', level: 'ERROR', message: 'boom', metadata: { pid: 7, span_id: 's1', stream: 'stdout' } });
  });

  it('does let a level the record names itself win over a word in the line', () => {
    expect(parseLine('{"log":"ERROR count is 0","level":"info"}').level).toBe('INFO');
    expect(parseLine('{"msg":"chosen","log":"not a message"}')).toEqual({ level: 'INFO', message: 'chosen', metadata: { log: 'not a message' } });
  });

  it('does read Fluent Bit\'s date, epoch seconds with microseconds', () => {
    expect(parseLine('{"date":1796109439.488405,"log":"plain words"}')).toEqual({ timestamp: '2026-12-01T07:17:19.488Z', level: 'INFO', message: 'plain words' });
  });
});

describe('when a level or time is written in another way', () => {
  it('does read levels as digits, syslog severities and custom levels above fatal', () => {
    expect(parseLine('{"level":"30","msg":"x"}').level).toBe('INFO');
    expect(parseLine('{"level":70,"msg":"x"}').level).toBe('ERROR');
    expect(parseLine('{"level":3,"msg":"x"}').level).toBe('ERROR');
    expect(parseLine('{"level":"http","msg":"x"}').level).toBe('INFO');
  });

  it('does read a protobuf Timestamp object, as Google Cloud Logging writes it', () => {
    expect(parseLine('{"timestamp":{"seconds":1793527200,"nanos":123456789},"message":"x"}').timestamp).toBe('2026-11-01T10:00:00.123Z');
    expect(parseLine('{"timestamp":{"seconds":"1793527200"},"message":"x"}').timestamp).toBe('2026-11-01T10:00:00.000Z');
  });

  it('does keep span ids under span_id, whatever the logger called them', () => {
    for (const key of ['spanId', 'span_id']) expect(parseLine(JSON.stringify({ msg: 'x', [key]: 'ab12' })).metadata).toEqual({ span_id: 'ab12' });
  });
});

describe('when a line holds what a store cannot take', () => {
  const depthOf = (text: string) => {
    let depth = 0;
    let deepest = 0;
    for (const c of text) {
      if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
      else if (c === '}' || c === ']') depth--;
    }
    return deepest;
  };

  it('does keep what nests deeper than 32 levels as JSON text, so no store recurses that deep', () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const parsed = parseToText(`{"msg":"x","deep":${deep},"flat":1}`);
    expect(depthOf(`{${parsed.metadata}}`.replace(/"(?:[^"\\]|\\.)*"/g, '""'))).toBe(33);
    expect(parseLine(`{"msg":"x","deep":${deep}}`).metadata!.deep).toMatchObject({ a: { a: {} } });
  });

  it('does replace escaped NULs and lone surrogates with U+FFFD', () => {
    expect(parseLine('{"msg":"x","k\\u0000":"a\\u0000b\\ud800"}').metadata).toEqual({ 'k\ufffd': 'a\ufffdb\ufffd' });
  });
});
