import { byCountThenValue, compareBytes, MAX_FIELD_NAMES, type FieldsResult, type FieldSummary } from '../../shared/query/search.ts';
import { isKnownField } from '../../shared/query/tree.ts';

/** What a store counted over its sample: how many events, and per field its event count and top values. */
export interface FieldRow {
  kind: 'sampled' | 'name' | 'value';
  /** An event field (service, level, ...) or a metadata path. */
  source: 'column' | 'metadata';
  name: string;
  value: string;
  count: number;
}

/**
 * The fields answer from a store's counts, in one order for every store: fields by event count, then
 * name; values by count, then value (byte order). A metadata path named like an event field
 * (metadata.service) is left out: `service:` means the event's own service.
 */
export function summarizeFields(rows: FieldRow[], valuesPerField: number): FieldsResult {
  let sampled = 0;
  const byName = new Map<string, FieldSummary>();
  const summary = (name: string) => {
    let s = byName.get(name);
    if (!s) byName.set(name, (s = { name, count: 0, values: [] }));
    return s;
  };
  for (const r of rows) {
    if (r.kind === 'sampled') sampled = r.count;
    else if (r.source === 'metadata' && isKnownField(r.name) && r.name !== 'span_id') continue;
    else if (r.kind === 'name') summary(r.name).count = r.count;
    else summary(r.name).values.push({ value: r.value, count: r.count });
  }
  const fields = [...byName.values()].filter((f) => f.count > 0);
  for (const f of fields) f.values = f.values.sort(byCountThenValue).slice(0, valuesPerField);
  fields.sort((a, b) => b.count - a.count || compareBytes(a.name, b.name));
  return { sampled, fields: fields.slice(0, MAX_FIELD_NAMES) };
}
