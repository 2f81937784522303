import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.ts';
import { MultilineJoiner, type JoinedEvent, type MultilineOptions } from './multiline.ts';

const IDLE = 5000;
const defaults: MultilineOptions = { maxBytes: 64 * 1024, idleMs: IDLE };

// The fixtures are read-only sample files kept beside the test, as a tailer would read them.
const fixture = (name: string) => readFileSync(new URL(`./fixtures/multiline/${name}`, import.meta.url), 'utf8');

interface Fed {
  events: JoinedEvent[];
  /** committedOffset after each line, and how many events had been returned by then. */
  commits: { offset: number; returned: number }[];
}

/** Pushes every line of `text` with its exact byte span, as the tailer does, then flushes at EOF. */
function feed(text: string, opts: Partial<MultilineOptions> = {}, joiner = new MultilineJoiner({ ...defaults, ...opts })): Fed {
  const fed: Fed = { events: [], commits: [] };
  let offset = 0;
  for (const line of text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined)) {
    const end = offset + Buffer.byteLength(line) + 1;
    fed.events.push(...joiner.push(line, offset, end, 1000));
    fed.commits.push({ offset: joiner.committedOffset, returned: fed.events.length });
    offset = end;
  }
  fed.events.push(...joiner.flush());
  return fed;
}
const texts = (events: JoinedEvent[]) => events.map((e) => e.text);
/** The byte offset of `needle` in `text`, as the tailer would count it. */
const byteAt = (text: string, needle: string) => Buffer.from(text).indexOf(needle);

describe('when a Java stack trace follows a log line', () => {
  const log = fixture('java-spring.log');
  const { events } = feed(log);

  it('does make the message, the exception, every frame, Caused by and ... 12 more one event', () => {
    expect(events).toHaveLength(3);
    expect(events[1]!.text.split('\n')[0]).toMatch(/ERROR 4821 .*threw exception$/);
    expect(events[1]!.text).toContain('\nCaused by: java.sql.SQLTransientConnectionException');
    expect(events[1]!.text.endsWith('\t... 14 more')).toBe(true);
    expect(events[1]!.lines).toBe(14);
    expect(events[2]!.text).toMatch(/Retrying order ord_1029 in 5s$/);
  });

  it('does give each event the exact byte span of its lines', () => {
    const warn = byteAt(log, '2026-11-01T10:00:05.402Z');
    expect(events[1]).toMatchObject({ start: byteAt(log, '2026-11-01T10:00:05.331Z'), end: warn, truncated: false });
    expect(events[2]!.end).toBe(Buffer.byteLength(log));
  });
});

describe('when Python logging.exception writes a chained traceback', () => {
  const { events } = feed(fixture('python-logging.log'));

  it('does join both tracebacks, the blank lines between them and the final exception line into one event', () => {
    expect(events).toHaveLength(3);
    const lines = events[1]!.text.split('\n');
    expect(lines[0]).toBe('2026-11-01 10:00:05,123 ERROR billing.worker: payment failed for ord_1029');
    expect(lines).toContain('During handling of the above exception, another exception occurred:');
    expect(lines.filter((l) => l === 'Traceback (most recent call last):')).toHaveLength(2);
    expect(lines.at(-1)).toBe('billing.errors.PaymentError: payment failed for ord_1029');
    expect(events[1]!.lines).toBe(lines.length);
    expect(events[2]!.text).toMatch(/requeued$/);
  });

  it('does end the event at a blank line after the exception when no chain header follows', () => {
    const text = 'ERROR:root:bad input\nTraceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: bad\n\nERROR:root:next\n';
    expect(texts(feed(text).events)).toEqual(['ERROR:root:bad input\nTraceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: bad', 'ERROR:root:next']);
  });

  it('does end a traceback whose exception line never came at the next dated record', () => {
    const text = '2026-11-01 10:00:00,000 ERROR x\nTraceback (most recent call last):\n  File "x.py", line 1\n2026-11-01 10:00:01,000 INFO y\n';
    expect(feed(text).events.map((e) => e.lines)).toEqual([3, 1]);
  });
});

describe('when Node.js console.error prints an Error', () => {
  const { events } = feed(fixture('node-console-error.log'));

  it('does keep the Error line with its frames, and a [cause] block up to its closing brace', () => {
    expect(events.map((e) => e.lines)).toEqual([1, 5, 1, 12, 1]);
    expect(events[1]!.text).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'id'\)\n {4}at getUser/);
    expect(events[3]!.text).toMatch(/^Error: charge failed\n[\s\S]*\[cause\]: Error: connect ECONNREFUSED[\s\S]*\n\}$/);
  });
});

describe('when a Go program panics', () => {
  // Decision: the panic line, the blank line after it and every goroutine dump are one event, because
  // they are one crash; the blank lines stay inside the text as Go printed them. `exit status 2` is
  // written by `go run`, not the program, so it is an event of its own.
  const log = fixture('go-panic.log');
  const { events } = feed(log);

  it('does join panic, signal, blank lines and all goroutines into one event', () => {
    expect(events).toHaveLength(3);
    const lines = events[1]!.text.split('\n');
    expect(lines[0]).toBe('panic: runtime error: invalid memory address or nil pointer dereference');
    expect(lines.filter((l) => l.startsWith('goroutine '))).toEqual(['goroutine 1 [running]:', 'goroutine 18 [chan receive]:']);
    expect(lines.at(-1)).toBe('\t/app/main.go:4 +0x25');
    expect(events[1]!.end).toBe(byteAt(log, 'exit status 2'));
    expect(events[2]!.text).toBe('exit status 2');
  });

  it('does end the event at a blank line that no goroutine header follows', () => {
    expect(texts(feed('panic: boom\n\nlistening again\n').events)).toEqual(['panic: boom', 'listening again']);
  });
});

describe('when every line is a record of its own', () => {
  const log = fixture('single-lines.log');
  const lines = log.split('\n').filter((l) => l !== '');
  const { events } = feed(log);

  it('does return each line as its own event with exact byte offsets, multibyte characters included', () => {
    expect(texts(events)).toEqual(lines);
    expect(events.map((e) => e.start)).toEqual(lines.map((l) => byteAt(log, l)));
    for (let i = 0; i < events.length - 1; i++) expect(events[i]!.end).toBe(events[i + 1]!.start);
    expect(events.at(-1)!.end).toBe(Buffer.byteLength(log));
  });

  it('does drop the blank line but count its bytes in the end of the event above it', () => {
    expect(events[2]).toMatchObject({ text: '[WARN] disk usage above 90% on /var/lib/data', lines: 1 });
    expect(events[2]!.end).toBe(byteAt(log, 'time='));
  });
});

describe('when a line is judged by the default rules', () => {
  const joins = (line: string) => feed(`2026-11-01 10:00:00 ERROR failed\n${line}\n`).events.length === 1;

  it.each([
    '\tat com.acme.A.run(A.java:1)', 'at com.acme.A.run(A.java:1)', '    at run (/app/a.js:1:1)', 'Caused by: java.io.IOException: x',
    '\tSuppressed: java.io.IOException: y', '\t... 12 more', '... 3 more', 'java.lang.IllegalStateException: boom',
    'com.acme.Outer$BadThingException: x', 'Traceback (most recent call last):', "app/models/user.rb:10:in 'save'", '}', '   ',
  ])('does join %j to the event above', (line) => expect(joins(line)).toBe(true));

  it.each([
    'Error: x', '{"level":50,"msg":"x"}', '2026-11-01T10:00:01Z INFO next', '2026/11/01 10:00:01 next', '[ERROR] next',
    '[2026-11-01 10:00:01] local.INFO: next', 'INFO next', 'level=info msg=next', 'panic: boom', 'atlas started',
  ])('does start a new event at %j', (line) => expect(joins(line)).toBe(false));
});

describe('when nothing arrives for a while', () => {
  it('does return the held event after idleMs and not before', () => {
    const joiner = new MultilineJoiner(defaults);
    expect(joiner.push('ERROR failed', 0, 13, 1000)).toEqual([]);
    expect(joiner.push('\tat A.run(A.java:1)', 13, 33, 2000)).toEqual([]);
    expect(joiner.flushIdle(2000 + IDLE - 1)).toEqual([]);
    expect(joiner.flushIdle(2000 + IDLE)).toEqual([{ text: 'ERROR failed\n\tat A.run(A.java:1)', start: 0, end: 33, lines: 2, truncated: false, continued: false }]);
    expect(joiner.flushIdle(2000 + 2 * IDLE)).toEqual([]);
    expect(joiner.committedOffset).toBe(33);
  });

  it('does close the waiting event when the next line comes too late, even if the caller never flushed', () => {
    const joiner = new MultilineJoiner(defaults);
    joiner.push('ERROR failed', 0, 13, 1000);
    expect(joiner.push('\tat A.run(A.java:1)', 13, 33, 1000 + IDLE)).toMatchObject([{ text: 'ERROR failed', end: 13 }]);
    expect(joiner.flush()).toMatchObject([{ text: '\tat A.run(A.java:1)', start: 13 }]);
  });
});

describe('when an event exceeds maxBytes', () => {
  it('does split a long trace into events of whole lines within the cap, leaving no line out', () => {
    const trace = ['java.lang.RuntimeException: boom', ...Array.from({ length: 50 }, (_, i) => `\tat com.acme.Frame${i}.run(Frame.java:${i})`)];
    const { events } = feed(`${trace.join('\n')}\n\n  more frames after a blank\n2026-11-01 next\n`, { maxBytes: 200, startPattern: /^\d{4}-/ });
    const parts = events.slice(0, -1);
    expect(parts.length).toBeGreaterThan(5);
    parts.forEach((e, i) => {
      expect(Buffer.byteLength(e.text)).toBeLessThanOrEqual(200);
      expect(e).toMatchObject({ truncated: false, continued: i > 0, lines: e.text.split('\n').length });
    });
    expect(parts.map((e) => e.text).join('\n')).toBe(`${trace.join('\n')}\n\n  more frames after a blank`);
    parts.forEach((e, i) => expect(e.end).toBe(events[i + 1]!.start));
    expect(events.at(-1)!.text).toBe('2026-11-01 next');
  });

  it('does not hold continuation lines that never end: each full event goes as soon as the next line would not fit', () => {
    const joiner = new MultilineJoiner({ ...defaults, maxBytes: 100 });
    const returned: JoinedEvent[] = [];
    let offset = 0;
    for (let i = 0; i < 40; i++) {
      const line = i === 0 ? 'ERROR table follows' : `    row ${i} ${'x'.repeat(20)}`;
      returned.push(...joiner.push(line, offset, offset + line.length + 1, 1000));
      offset += line.length + 1;
    }
    expect(returned.length).toBeGreaterThanOrEqual(10);
    expect(joiner.committedOffset).toBeGreaterThan(offset - 100);
  });

  it('does cut a single huge line without splitting a multibyte character', () => {
    const line = `ERROR ${'é'.repeat(40)}${'😀'.repeat(40)}`; // 2 and 4 bytes each
    const cut = (maxBytes: number) => feed(`${line}\n`, { maxBytes }).events[0]!;
    expect(cut(51)).toMatchObject({ text: `ERROR ${'é'.repeat(22)}`, truncated: true, lines: 1, end: Buffer.byteLength(line) + 1 });
    expect(cut(6 + 80 + 7).text).toBe(`ERROR ${'é'.repeat(40)}😀`);
    expect(cut(Buffer.byteLength(line))).toMatchObject({ text: line, truncated: false });
  });

  it('does refuse a cap that is not a positive number of bytes', () => {
    expect(() => new MultilineJoiner({ ...defaults, maxBytes: 0 })).toThrow(ConfigError);
  });
});

describe('when --multiline-start gives the pattern', () => {
  const log = '2026-11-01 a\n{"not":"a start here"}\n[ERROR] neither\n\n  indented\n2026-11-02 b\n\n\n2026-11-03 c\n';

  it('does start events only at matching lines, keep inner blank lines and drop trailing ones', () => {
    const { events } = feed(log, { startPattern: /^\d{4}-/ });
    expect(texts(events)).toEqual(['2026-11-01 a\n{"not":"a start here"}\n[ERROR] neither\n\n  indented', '2026-11-02 b', '2026-11-03 c']);
    expect(events.map((e) => e.lines)).toEqual([5, 1, 1]);
    expect(events[1]!.end).toBe(byteAt(log, '2026-11-03'));
  });

  it('does behave the same with a global pattern, whose lastIndex would otherwise skip matches', () => {
    expect(texts(feed(log, { startPattern: /^\d{4}-/g }).events)).toEqual(texts(feed(log, { startPattern: /^\d{4}-/ }).events));
  });
});

describe('when the caller checkpoints', () => {
  it('does never let committedOffset pass the start of an event not yet returned', () => {
    for (const name of ['java-spring.log', 'python-logging.log', 'node-console-error.log', 'go-panic.log', 'single-lines.log']) {
      const { events, commits } = feed(fixture(name));
      for (const { offset, returned } of commits) {
        for (const later of events.slice(returned)) expect(offset).toBeLessThanOrEqual(later.start);
        for (const done of events.slice(0, returned)) expect(offset).toBeGreaterThanOrEqual(done.end);
      }
    }
  });

  it('does start from the resumed offset and move past blank lines that belong to no event', () => {
    const joiner = new MultilineJoiner({ ...defaults, startOffset: 4096 });
    expect(joiner.committedOffset).toBe(4096);
    joiner.push('', 4096, 4097, 0);
    expect(joiner.committedOffset).toBe(4097);
    joiner.push('ERROR held', 4097, 4108, 0);
    expect(joiner.committedOffset).toBe(4097);
  });
});
