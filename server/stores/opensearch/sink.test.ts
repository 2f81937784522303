import { errors } from '@opensearch-project/opensearch';
import { describe, expect, it } from 'vitest';
import { LogFlowError } from '../../../shared/errors.ts';
import { toStoreError } from './client.ts';
import { resultOfItem } from './sink.ts';

describe('when reading one bulk item', () => {
  it('does count created and already-there (409) as stored', () => {
    expect(resultOfItem({ status: 201 })).toEqual({ status: 'ok' });
    expect(resultOfItem({ status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } })).toEqual({ status: 'ok' });
  });

  it('does ask to retry a 429 or 5xx item', () => {
    expect(resultOfItem({ status: 429, error: { type: 'rejected_execution_exception', reason: 'queue full' } })).toEqual({
      status: 'retry',
      reason: 'rejected_execution_exception: queue full',
    });
    expect(resultOfItem({ status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary not active' } }).status).toBe('retry');
  });

  it('does reject any other item with the type, the reason and the cause', () => {
    const item = {
      status: 400,
      error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [timestamp]', caused_by: { type: 'illegal_argument_exception', reason: 'bad date' } },
    };
    expect(resultOfItem(item)).toEqual({
      status: 'reject',
      reason: 'mapper_parsing_exception: failed to parse field [timestamp] (caused by illegal_argument_exception: bad date)',
    });
  });

  it('does retry an event the cluster has no room or no permission for, rather than dead-letter it', () => {
    const shards = { type: 'validation_exception', reason: 'Validation Failed: 1: this action would add [1] total shards, but this cluster currently has [1000]/[1000] maximum shards open;' };
    expect(resultOfItem({ status: 400, error: shards }).status).toBe('retry');
    expect(resultOfItem({ status: 403, error: { type: 'cluster_block_exception', reason: 'index [x] blocked by: [FORBIDDEN/8/index write (api)];' } }).status).toBe('retry');
  });

  it('does retry an event whose item is missing', () => {
    expect(resultOfItem(undefined).status).toBe('retry');
  });
});

const responseError = (statusCode: number, headers: Record<string, string> = {}) =>
  new errors.ResponseError({ body: { error: { type: 't', reason: 'r' }, status: statusCode }, statusCode, headers, warnings: null, meta: {} as never });

describe('when a whole request fails', () => {
  it('does call 5xx and 429 transient and keep Retry-After', () => {
    const e = toStoreError(responseError(429, { 'retry-after': '7' }), 'bulk write');
    expect(e).toBeInstanceOf(LogFlowError);
    expect(e).toMatchObject({ code: 'STORE_UNAVAILABLE', transient: true, retryAfterSeconds: 7 });
    expect(toStoreError(responseError(503), 'bulk write')).toMatchObject({ code: 'STORE_UNAVAILABLE', transient: true });
  });

  it('does call a 400 permanent', () => {
    const e = toStoreError(responseError(400), 'bulk write');
    expect(e).toMatchObject({ code: 'STORE_REJECTED', transient: false });
    expect(e.message).toContain('t: r');
  });

  it('does call a connection failure transient', () => {
    expect(toStoreError(new errors.ConnectionError('connect ECONNREFUSED'), 'bulk write')).toMatchObject({ code: 'STORE_UNAVAILABLE', transient: true });
  });
});
