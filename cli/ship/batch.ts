/** Events gathered for one request, as NDJSON text, with their count and size. */
export class Batch {
  readonly lines: string[] = [];
  bytes = 0;
  readonly startedAt = Date.now();

  add(event: Record<string, unknown>): void {
    const line = JSON.stringify(event);
    this.lines.push(line);
    this.bytes += line.length + 1;
  }

  get size(): number {
    return this.lines.length;
  }

  body(): string {
    return this.lines.join('\n') + '\n';
  }
}
