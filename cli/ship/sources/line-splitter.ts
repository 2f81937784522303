const NEWLINE = 10;
const CR = 13;

export type LineHandler = (text: string, start: number, end: number) => void;

/**
 * Cuts a byte stream into lines, each with its byte span in the source, so a checkpoint and an
 * event_id can name the exact place a line came from. A trailing partial line is held until its
 * newline comes, or until the caller decides it has waited long enough (flushPartial).
 */
export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Source offset of the first byte not yet handed out as (part of) a line. */
  private lineStart: number;

  constructor(startOffset = 0) {
    this.lineStart = startOffset;
  }

  get pendingBytes(): number {
    return this.partialBytes;
  }

  /** Feeds bytes that follow the previous ones in the source; calls onLine for each complete line. */
  feed(chunk: Buffer, onLine: LineHandler): void {
    let from = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, from)) {
      const held = this.partialBytes;
      let text: string;
      if (held) {
        this.partial.push(chunk.subarray(from, nl));
        text = decodeLine(Buffer.concat(this.partial, held + nl - from));
        this.partial = [];
        this.partialBytes = 0;
      } else {
        text = decodeLine(chunk, from, nl);
      }
      const start = this.lineStart;
      this.lineStart = start + held + (nl - from) + 1;
      onLine(text, start, this.lineStart);
      from = nl + 1;
    }
    if (from < chunk.length) {
      // Copy: the caller may reuse its read buffer.
      this.partial.push(Buffer.from(chunk.subarray(from)));
      this.partialBytes += chunk.length - from;
    }
  }

  /** Hands out the held partial line as a line of its own (idle too long, or the source ended). */
  flushPartial(onLine: LineHandler): void {
    if (!this.partialBytes) return;
    const text = decodeLine(Buffer.concat(this.partial, this.partialBytes));
    const start = this.lineStart;
    this.lineStart = start + this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    onLine(text, start, this.lineStart);
  }
}

function decodeLine(buf: Buffer, start = 0, end = buf.length): string {
  // CRLF files: the CR belongs to the line ending, not the message.
  if (end > start && buf[end - 1] === CR) end--;
  return buf.toString('utf8', start, end);
}
