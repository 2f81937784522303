// The shipping agent's multiline joiner: glues a stack trace to the log line above it, so a trace is
// one event rather than forty, before the per-line parser runs. Pure and synchronous: the caller reads
// the file, stamps each line with its byte span and the time, and calls flushIdle from its own timer,
// so every rule here is testable without a clock or a file.
import { ConfigError } from '../../../shared/errors.ts';
import { levelWordAlternation } from '../../../shared/levels.ts';

export interface JoinedEvent {
  /** The lines joined with '\n'; blank lines inside the event are kept, trailing ones are not. */
  text: string;
  /** Byte offset where the first line starts (the caller derives event_id from it). */
  start: number;
  /** Byte offset just past the last line's newline, including dropped blank lines after it (the caller checkpoints it). */
  end: number;
  /** Source lines in the event. */
  lines: number;
  /** Its one line was longer than maxBytes and was cut there. */
  truncated: boolean;
  /** It goes on from the event before it, which reached maxBytes (a part of a longer trace). */
  continued: boolean;
}

export interface MultilineOptions {
  /** From --multiline-start: a line matching it starts a new event, every other line continues the one above. */
  startPattern?: RegExp;
  /** Cap on an event's text in UTF-8 bytes: a line that would go past it starts the next event; a single longer line is cut (never mid-character). */
  maxBytes: number;
  /** How long an event waits for continuation lines. */
  idleMs: number;
  /** Where the caller began reading (a resumed checkpoint): committedOffset until the first line. */
  startOffset?: number;
}

// What the event being held has seen so far, which decides what may still join it.
// python: inside a traceback, so every line joins up to the exception line. python-done: that line
// came, so a blank and a chain header ("During handling of…") may follow. python-chain: a chain header
// came, so a blank and the next `Traceback` may follow. go: a panic, whose goroutine dump follows a blank.
type Mode = 'plain' | 'python' | 'python-done' | 'python-chain' | 'go';

const TAB = 9;
const SPACE = 32;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;

const TRACEBACK = 'Traceback (most recent call last):';
const PYTHON_CHAIN = ['During handling of the above exception, another exception occurred:', 'The above exception was the direct cause of the following exception:'];
const JAVA_PREFIXES = ['at ', 'Caused by:', 'Suppressed:', '...'];

// `[ERROR]`, `[ warn ]`: a bracketed level opens a record in many text formats (the names: shared/levels.ts).
const BRACKETED_LEVEL = new RegExp(`^\\[ *(?:${levelWordAlternation('bracketed')}) *\\]`, 'i');
// A throwable's header with its package, as logback, log4j and JUL print it on the line after the
// message: `java.lang.IllegalStateException: boom`, `com.acme.Outer$BadThing: x`. The package is
// required so that a bare `Error: x` (Node's console.error(err)) still starts an event. Each segment
// ends at its own dot, so the pattern cannot backtrack across a long line.
const JAVA_EXCEPTION = /^(?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|$)/;
// Ruby's Logger writes the backtrace unindented: `app/models/user.rb:10:in 'save'` (backtick before 3.4).
const RUBY_FRAME = /^[^\s:]+:\d+:in [`']/;

const encoder = new TextEncoder();

/**
 * Joins lines into events. Feed every line in file order; blank lines too, as they end events and
 * their bytes must be accounted for.
 */
export class MultilineJoiner {
  private pending: PendingEvent | undefined;
  private lastEnd: number;
  private lastAt = 0;
  private readonly startPattern: RegExp | undefined;

  constructor(private readonly opts: MultilineOptions) {
    if (!Number.isInteger(opts.maxBytes) || opts.maxBytes <= 0) {
      throw new ConfigError(`The multiline byte cap must be a positive whole number of bytes, got ${opts.maxBytes}.`);
    }
    // `test` on a global or sticky pattern resumes from lastIndex, which would skip every other match.
    const p = opts.startPattern;
    this.startPattern = p && (p.global || p.sticky) ? new RegExp(p.source, p.flags.replace(/[gy]/g, '')) : p;
    this.lastEnd = opts.startOffset ?? 0;
  }

  /** Offset up to which every byte belongs to a returned event; the caller must not checkpoint past it. */
  get committedOffset(): number {
    return this.pending?.start ?? this.lastEnd;
  }

  /** Feeds one complete line (without its newline) spanning [start, end) bytes; returns events now complete. */
  push(line: string, start: number, end: number, now: number): JoinedEvent[] {
    // An event that waited idleMs is complete whether or not the caller's timer ran, so the result
    // does not depend on when that timer fired.
    const out = this.flushIdle(now);
    this.lastAt = now;
    const p = this.pending;
    if (line.length === 0) {
      if (p === undefined) this.lastEnd = end;
      else if (!p.holdBlank(end, this.startPattern !== undefined)) out.push(this.close(p));
      return out;
    }
    let mode: Mode | undefined;
    if (p !== undefined) {
      mode = p.heldBlanks > 0 ? this.joinsAfterBlank(p.mode, line) : this.joins(p.mode, line);
      // A line that would take the event past maxBytes starts the next one, which goes on in the same
      // mode: a trace longer than the cap arrives as several events of whole lines, none left out.
      if (mode !== undefined && p.append(line, end, mode)) return out;
      out.push(this.close(p));
    }
    this.pending = new PendingEvent(line, start, end, mode ?? openingMode(line), this.opts.maxBytes, mode !== undefined);
    return out;
  }

  /** Returns the held event when nothing arrived for idleMs (so the last trace of a quiet file is never stuck). */
  flushIdle(now: number): JoinedEvent[] {
    const p = this.pending;
    return p !== undefined && now - this.lastAt >= this.opts.idleMs ? [this.close(p)] : [];
  }

  /** Returns whatever is held (EOF, shutdown). */
  flush(): JoinedEvent[] {
    return this.pending === undefined ? [] : [this.close(this.pending)];
  }

  private close(p: PendingEvent): JoinedEvent {
    const event = p.toEvent();
    this.lastEnd = event.end;
    this.pending = undefined;
    return event;
  }

  /** The event's mode once `line` joins it, or undefined when `line` starts a new event. */
  private joins(mode: Mode, line: string): Mode | undefined {
    if (this.startPattern !== undefined) return this.startPattern.test(line) ? undefined : mode;
    return joinsByDefault(mode, line);
  }

  private joinsAfterBlank(mode: Mode, line: string): Mode | undefined {
    if (this.startPattern !== undefined) return this.startPattern.test(line) ? undefined : mode;
    if (mode === 'go') return line.startsWith('goroutine ') || line.startsWith('runtime stack:') ? 'go' : undefined;
    if (mode === 'python-done') return PYTHON_CHAIN.includes(line) ? 'python-chain' : undefined;
    if (mode === 'python-chain') return line.startsWith(TRACEBACK) ? 'python' : undefined;
    return undefined;
  }
}

/** The default rules, for a line that directly follows a line of the held event. */
function joinsByDefault(mode: Mode, line: string): Mode | undefined {
  const c = line.charCodeAt(0);
  if (c === SPACE || c === TAB) return mode;
  // These open a record in every format we know, so they end even a traceback whose exception line
  // never came (a crashed writer): a trace must not swallow the rest of the file.
  if (startsRecord(line, c)) return undefined;
  // Python prints the exception line (`ValueError: bad`) unindented, last.
  if (mode === 'python') return 'python-done';
  if (mode === 'go' && continuesGoPanic(line)) return 'go';
  if (line.startsWith(TRACEBACK)) return 'python';
  if (PYTHON_CHAIN.includes(line)) return 'python-chain';
  for (const prefix of JAVA_PREFIXES) if (line.startsWith(prefix)) return mode;
  // Node's util.inspect closes an error with extra properties or a `[cause]` at column 0.
  if (c === CLOSE_BRACE || c === CLOSE_BRACKET) return mode;
  if (JAVA_EXCEPTION.test(line) || RUBY_FRAME.test(line)) return mode;
  return undefined;
}

/** A JSON log line, a leading date (`2026-11-01`, `[2026-11-01`, `2026/11/01`) or a bracketed level. */
function startsRecord(line: string, c: number): boolean {
  if (c === OPEN_BRACE) return true;
  if (c === OPEN_BRACKET) return startsWithDate(line, 1) || BRACKETED_LEVEL.test(line);
  return c >= 48 && c <= 57 && startsWithDate(line, 0);
}

function startsWithDate(line: string, at: number): boolean {
  const sep = line.charCodeAt(at + 4);
  if ((sep !== 45 /* - */ && sep !== 47 /* / */) || line.charCodeAt(at + 7) !== sep) return false;
  for (let i = 0; i < 10; i++) {
    const d = line.charCodeAt(at + i);
    if (i !== 4 && i !== 7 && (d < 48 || d > 57)) return false;
  }
  return true;
}

/**
 * The goroutine dump after `panic:` is unindented: `goroutine 1 [running]:`, then pairs of a function
 * line (`main.(*T).Run(0xc000010000, {0x1, 0x2})`, no space before its first parenthesis) and an
 * indented file line, then `created by …`. `[signal SIGSEGV …]` follows a nil-pointer panic.
 */
function continuesGoPanic(line: string): boolean {
  if (line.startsWith('goroutine ') || line.startsWith('created by ') || line.startsWith('[signal ')) return true;
  const paren = line.indexOf('(');
  return paren > 0 && line.charCodeAt(line.length - 1) === 41 /* ) */ && line.lastIndexOf(' ', paren) === -1;
}

function openingMode(line: string): Mode {
  if (line.startsWith(TRACEBACK)) return 'python';
  return line.startsWith('panic: ') || line.startsWith('fatal error: ') ? 'go' : 'plain';
}

/** The event being held: its text so far, within maxBytes, and the bytes it spans. */
class PendingEvent {
  text = '';
  lines = 1;
  heldBlanks = 0;
  private blankEnd = 0;
  // Until the text could exceed the cap, `bytes` is an upper bound (3 UTF-8 bytes per UTF-16 unit),
  // so the common short event is never encoded; past that it is exact.
  private bytes = 0;
  private exact = false;
  private truncated = false;

  constructor(
    line: string,
    readonly start: number,
    private end: number,
    public mode: Mode,
    private readonly maxBytes: number,
    private readonly continued: boolean,
  ) {
    this.first(line);
  }

  /** Holds a blank line; false when the event cannot continue past it and must be closed. */
  holdBlank(end: number, anyCount: boolean): boolean {
    this.heldBlanks++;
    this.blankEnd = end;
    // By default one blank may sit inside a trace (a Go panic's dump, a Python exception chain).
    return anyCount || (this.heldBlanks === 1 && (this.mode === 'go' || this.mode === 'python-done' || this.mode === 'python-chain'));
  }

  /** Adds a line (after the blanks held); false, changing nothing, when it would not fit within maxBytes. */
  append(line: string, end: number, mode: Mode): boolean {
    const piece = this.heldBlanks === 0 ? '\n' + line : '\n'.repeat(this.heldBlanks + 1) + line;
    if (this.truncated || !this.reserve(piece)) return false;
    this.text += piece;
    this.lines += this.heldBlanks + 1;
    this.heldBlanks = 0;
    this.end = end;
    this.mode = mode;
    return true;
  }

  toEvent(): JoinedEvent {
    const end = this.heldBlanks > 0 ? this.blankEnd : this.end;
    return { text: this.text, start: this.start, end, lines: this.lines, truncated: this.truncated, continued: this.continued };
  }

  /** The event's first line, cut at maxBytes when longer (never inside a character). */
  private first(line: string): void {
    if (this.reserve(line)) {
      this.text = line;
      return;
    }
    // encodeInto writes whole characters only, so `read` never ends inside one.
    const { read } = encoder.encodeInto(line, new Uint8Array(this.maxBytes));
    this.text = line.slice(0, read);
    this.bytes = this.maxBytes;
    this.truncated = true;
  }

  /** Counts `piece` into the event's bytes if it fits within maxBytes. */
  private reserve(piece: string): boolean {
    if (!this.exact) {
      const bound = this.bytes + 3 * piece.length;
      if (bound <= this.maxBytes) {
        this.bytes = bound;
        return true;
      }
      this.bytes = Buffer.byteLength(this.text);
      this.exact = true;
    }
    const size = Buffer.byteLength(piece);
    if (this.bytes + size > this.maxBytes) return false;
    this.bytes += size;
    return true;
  }
}
