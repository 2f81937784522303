import type { LogEvent } from '../../shared/event.ts';

// The queue between ingest and the stores, as the server, the worker and the tooling see it. The Redis
// stream (stream.ts) is its one implementation; another (Kafka) would implement the same interfaces.
// Nothing outside server/queue knows how an entry is laid out: a consumer gets events, each with an
// opaque reference it hands back to settle it, so what one entry holds (one event, or a whole accepted
// batch) can change behind these types.

/** One event as a consumer receives it, or what was found in its place when it cannot be read. */
export type Delivery =
  | { readonly ref: string; readonly event: LogEvent }
  | { readonly ref: string; readonly problem: string; readonly raw: string };

/** A delivery a store will never take, and why: kept in the dead letters, never dropped silently. */
export interface Refusal {
  delivery: Delivery;
  reason: string;
}

/** One consumer of one group: each group sees every event once, shared among its consumers. */
export interface GroupConsumer {
  readonly group: string;
  readonly name: string;
  /** What this consumer (this name, e.g. before a restart) received and never settled. */
  unsettled(count: number): Promise<Delivery[]>;
  /** Events nobody in the group has received yet, waiting up to blockMs for some; [] when none came. */
  next(count: number, blockMs: number): Promise<Delivery[]>;
  /** Takes over what other consumers of the group left unsettled for longer than minIdleMs (they died or hang). */
  takeOver(minIdleMs: number, count: number): Promise<Delivery[]>;
  /** Says these are still being worked on, so nobody takes them over meanwhile. */
  renew(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Finishes deliveries, any subset of those received in any order: `done` are acknowledged, `refused`
   * kept as dead letters with their reason, in one step with the acknowledgement that covers them.
   */
  settle(done: readonly Delivery[], refused: readonly Refusal[]): Promise<void>;
  /** Ends a waiting next() at once; the consumer is not used afterwards. Safe twice. */
  close(): void;
}

export interface GroupState {
  name: string;
  /** Received by a consumer and not settled yet, in the queue's own units (stream entries: accepted batches). */
  pending: number;
  /** Events not received by anyone yet; null when the queue cannot tell. */
  lag: number | null;
  /** When the oldest event the group has not settled (pending, or not received yet) was appended, in ms since the epoch; null when it has settled everything. */
  oldestUnsettledMs: number | null;
}

/** A dead letter as a person inspects it. */
export interface DeadLetterRecord {
  id: string;
  sink: string;
  reason: string;
  failedAt: string;
  /** The event as it was written to the store, or the unreadable text found in its place. */
  event?: LogEvent;
  raw: string;
}

export interface DeadLetterFilter {
  sink?: string;
  id?: string;
}

/** Events stores refused, kept for a person: listed, sent back to their store, or dropped. */
export interface DeadLetters {
  /** Oldest first, at most `limit`; `total` is how many match the filter. */
  list(filter: DeadLetterFilter & { limit: number }): Promise<{ letters: DeadLetterRecord[]; total: number }>;
  /** Puts matching letters back into the queue for their own sink's group only; unreadable ones stay. */
  replay(filter: DeadLetterFilter): Promise<{ replayed: number; unreadable: number }>;
  drop(filter: DeadLetterFilter): Promise<number>;
}

/**
 * A reader outside any group, for live tail: it follows events as they pass, settles nothing and holds
 * no trimming back. A delivery's `ref` is its position: pass it back to read on after it. Events
 * replayed from the dead letters for one store are not passed again.
 */
export interface QueueFollower {
  /** The newest position ever appended, and the oldest still kept; '0-0' for both while nothing is. */
  positions(): Promise<{ lastId: string; firstId: string }>;
  /** Events after `afterId`, waiting up to blockMs for some on a connection of its own; [] when none came. */
  readAfter(afterId: string, count: number, blockMs: number): Promise<Delivery[]>;
  /** Events still kept after `afterId` up to and including `toId`, oldest first: a reader catching up. */
  rangeAfter(afterId: string, toId: string, count: number): Promise<Delivery[]>;
  /** Orders two positions: negative when a comes first. */
  compare(a: string, b: string): number;
  /** Ends a waiting readAfter() at once; the follower is not used afterwards. Safe twice. */
  close(): void;
}

/** The durable buffer: events are appended once and read by one group per sink. */
export interface EventQueue {
  /** Appends every event or none, and resolves only once the queue keeps them. QUEUE_UNAVAILABLE (transient) otherwise. */
  append(events: LogEvent[]): Promise<void>;
  /** append() for events already written as JSON text (the ingest path writes them by hand: cheaper than JSON.stringify). */
  appendEncoded(events: readonly string[]): Promise<void>;
  /** Events kept: an upper bound of what the slowest group has still to do, and what backpressure measures. */
  backlog(): Promise<number>;
  /** Creates the group when missing, reading from the oldest event kept, so it sees everything not yet trimmed. */
  ensureGroup(group: string): Promise<void>;
  consumer(group: string, name: string): GroupConsumer;
  follower(): QueueFollower;
  groups(): Promise<GroupState[]>;
  /** Drops what every group has settled; returns how many entries went. */
  trim(): Promise<number>;
  readonly deadLetters: DeadLetters;
  /** Resolves when the queue answers; throws otherwise (GET /healthz). */
  check(): Promise<void>;
  /** What accepted events risk if the queue restarts, from its own settings; undefined when nothing (or it does not say). */
  durabilityRisk(): Promise<string | undefined>;
  /** Ends the connections this queue opened, its consumers' too. Safe twice. */
  close(): void;
}
