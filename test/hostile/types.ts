// The hostile-input harness (issue 8): what a class of hostile requests is, per endpoint. An endpoint
// is one file (logs.ts, search.ts, otlp.ts, bulk.ts, loki.ts) listing its classes and one
// well-formed request, which framing.ts breaks in every way HTTP can be broken.
import type net from 'node:net';
import type { AnswerReader } from './answers.ts';

/** A seeded source of choices: the same seed makes the same requests. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** mulberry32: small, fast, and good enough to choose test inputs. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(choices: readonly T[]): T {
    return choices[Math.floor(this.next() * choices.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A request sent through a keep-alive client (node's http Agent), as agents send them. */
export interface HttpCase {
  kind: 'http';
  class: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent chunked (no Content-Length). */
  chunked?: boolean;
  /** Per record of the body, in order: the marker it carries, or null; absent: the request holds no events. */
  markers?: (string | null)[];
  /** Indices of records that are good: refused only when the whole request is. */
  good?: number[];
  /** Markers of a body whose records do not map one to one onto what was sent (a broken encoding): refused when nothing was taken, else stored once everywhere or nowhere. */
  maybe?: string[];
  /** Statuses it may be answered with; absent: any status below 500. */
  expect?: number[];
  /** Sent this many times in a row (an agent resending after a timeout); 1 when absent. */
  repeat?: number;
  /** How its protocol answers (answers.ts); LogFlow's own when absent. */
  reader?: AnswerReader;
}

/** A request written on a socket of its own, to break HTTP itself (framing, slow clients). */
export interface RawCase {
  kind: 'raw';
  class: string;
  /** Writes the request, all at once or slowly; the harness reads whatever comes back until the server closes. */
  write(socket: net.Socket): void;
  /** Statuses it may be answered with; null: the server may also close without an answer. */
  expect: (number | null)[];
  /** The answers it must get, in this order (pipelined requests). */
  exactly?: number[];
  /** Markers of events the server may or may not take (a Content-Length shorter than the body): stored once in every store, or in none. */
  maybe?: string[];
  /** How its protocol answers (answers.ts); LogFlow's own when absent. */
  reader?: AnswerReader;
}

export type HostileCase = HttpCase | RawCase;

export interface CaseContext {
  rng: Rng;
  /** A word no other event has: found in a store, it names one request's record. */
  marker(): string;
  /** A seed for fast-check, drawn from rng. */
  fcSeed(): number;
  /** The project the hostile requests belong to, a disabled one, and another project's key. */
  keys: { hostile: string; disabled: string; other: string };
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** The server's clock at the start of the run, for times relative to now. */
  now: number;
}

export interface HostileClass {
  name: string;
  /** Share of the requests this class gets, relative to the others. */
  weight: number;
  make(ctx: CaseContext): HostileCase;
}

export interface Endpoint {
  name: string;
  /** How it answers (answers.ts): what each answer must be, and which records it took. */
  reader: AnswerReader;
  /** The status of an answer that took everything (200; Loki's 204). */
  ok: number;
  classes: HostileClass[];
  /** A well-formed request with good events, which framing.ts sends broken. */
  valid(ctx: CaseContext): HttpCase;
}
