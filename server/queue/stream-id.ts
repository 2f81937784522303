// Redis stream IDs are "<ms>-<seq>"; compare them as numbers, never as strings ("9-0" > "10-0" as text).
// An event's position (its ref) is "<ms>-<seq>-<index>" inside an entry of several events, and the bare
// entry ID for the last (or only) event of an entry: the entry ID means "through the end of that entry",
// so the newest entry ID is a position to read on after, and a one-event entry's ref is its ID as before.

export function parseStreamId(id: string): [bigint, bigint] {
  const [ms, seq] = id.split('-');
  return [BigInt(ms ?? 0), BigInt(seq ?? 0)];
}

export function compareStreamIds(a: string, b: string): number {
  const [am, as] = parseStreamId(a);
  const [bm, bs] = parseStreamId(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

export function minStreamId(ids: string[]): string | undefined {
  let min: string | undefined;
  for (const id of ids) if (min === undefined || compareStreamIds(id, min) < 0) min = id;
  return min;
}

/** The lowest stream ID after `id`. */
export function successor(id: string): string {
  const [ms, seq] = parseStreamId(id);
  return `${ms}-${seq + 1n}`;
}

/** The ref of event `index` of an entry of `count` events. */
export function eventRef(entryId: string, index: number, count: number): string {
  return index === count - 1 ? entryId : `${entryId}-${index}`;
}

/** The entry a ref (or a bare entry ID) is in. */
export function entryOf(ref: string): string {
  const second = ref.indexOf('-', ref.indexOf('-') + 1);
  return second < 0 ? ref : ref.slice(0, second);
}

/** The index an event ref names in its entry; undefined for a bare entry ID (its last event). */
export function indexOf(ref: string): number | undefined {
  const second = ref.indexOf('-', ref.indexOf('-') + 1);
  return second < 0 ? undefined : Number(ref.slice(second + 1));
}

/** Orders two positions (entry IDs or event refs): negative when a comes first. */
export function comparePositions(a: string, b: string): number {
  const byEntry = compareStreamIds(entryOf(a), entryOf(b));
  if (byEntry !== 0) return byEntry;
  const ai = indexOf(a) ?? Infinity;
  const bi = indexOf(b) ?? Infinity;
  return ai === bi ? 0 : ai < bi ? -1 : 1;
}

/** Whether text is a position this queue gives out (an entry ID or an event ref). */
export function isPosition(text: string): boolean {
  return /^\d{1,20}-\d{1,20}(-\d{1,9})?$/.test(text);
}
