import { describe, expect, it } from 'vitest';
import { bulkAnswer, readBulk, serviceOfIndex } from './elasticsearch-bulk.ts';

describe('when an Elasticsearch _bulk body is read', () => {
  it('does take index and create documents as they came, with their _id and the index as a fallback service', () => {
    const body = '{"index":{"_index":"app-2026.11.01","_id":"a1"}}\n{"message":"one"}\n\n{"create":{}}\r\n{"message":"two"}\n{"delete":{"_id":"x"}}\n{"update":{"_id":"y"}}\n{"doc":{"a":1}}\n';
    const { actions, records } = readBulk(body, 'fallback-index');
    expect(records).toEqual([{ json: '{"message":"one"}', id: 'a1', fallbackService: 'app' }, { json: '{"message":"two"}', fallbackService: 'fallback-index' }]);
    expect(actions.map((a) => [a.op, a.index, a.id, a.record])).toEqual([['index', 'app-2026.11.01', 'a1', 0], ['create', 'fallback-index', undefined, 1], ['delete', 'fallback-index', 'x', undefined], ['update', 'fallback-index', 'y', undefined]]);
  });

  it('does refuse the whole request where Elasticsearch does: an action it cannot read, or one without its document', () => {
    expect(() => readBulk('{"message":"no action"}\n{"a":1}\n', undefined)).toThrow(/line 1 is no bulk action/);
    expect(() => readBulk('not json\n', undefined)).toThrow(/line 1 is no bulk action/);
    expect(() => readBulk('{"create":{}}\n', undefined)).toThrow(/the create action on line 1 has no document after it/);
    expect(() => readBulk('\n\n', undefined)).toThrow(/holds no action/);
  });

  it('does answer per item, in order: 201 with the id, 400 with a reason', () => {
    const request = readBulk('{"create":{"_index":"a"}}\n{"m":1}\n{"delete":{"_index":"a","_id":"d"}}\n{"index":{"_index":"a","_id":"z"}}\n{"m":2}\n', undefined);
    const answer = JSON.parse(bulkAnswer(request, [{ status: 'accepted', eventId: 'derived' }, { status: 'refused', reason: 'bad "time"' }], 3));
    expect(answer.took).toBe(3);
    expect(answer.errors).toBe(true);
    expect(answer.items).toEqual([
      { create: expect.objectContaining({ _index: 'a', _id: 'derived', status: 201, result: 'created' }) },
      { delete: { _index: 'a', _id: 'd', status: 400, error: { type: 'illegal_argument_exception', reason: expect.stringMatching(/never deletes/) } } },
      { index: { _index: 'a', _id: 'z', status: 400, error: { type: 'document_parsing_exception', reason: 'bad "time"' } } },
    ]);
  });

  it('does read a service from the index names agents use', () => {
    expect(['fluent-bit', 'filebeat-8.17.0', 'logstash-2026.11.01', 'vector-2026-11-01', 'logs-nginx.access-default', 'logs-generic-default', 'checkout'].map(serviceOfIndex))
      .toEqual(['fluent-bit', 'filebeat', 'logstash', 'vector', 'nginx.access', 'generic', 'checkout']);
    expect(serviceOfIndex(undefined)).toBeUndefined();
    expect(serviceOfIndex('x'.repeat(300))).toBeUndefined();
  });
});
