// Redis stream IDs are "<ms>-<seq>"; compare them as numbers, never as strings ("9-0" > "10-0" as text).

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
