import { describe, expect, it } from 'vitest';
import { LogFlowError } from '../../../shared/errors.ts';
import { errorOfAnswer } from '../../../shared/http.ts';
import { judge } from './verdict.ts';

/** The error LogFlowClient raises for an answer: the same function it uses. */
const answered = (status: number, body?: object, retryAfter?: string) => ({ error: errorOfAnswer(status, body, body ? JSON.stringify(body) : '', retryAfter) });

describe('when the server took the batch (2xx)', () => {
  it('does judge it ok with the count the server gives', () => {
    expect(judge({ reply: { accepted: 10, rejected: [] } }, 10)).toEqual({ kind: 'ok', accepted: 10 });
  });

  it('does take a 2xx without the answer’s shape (a proxy’s page) as all accepted', () => {
    expect(judge({ reply: {} }, 7)).toEqual({ kind: 'ok', accepted: 7 });
    expect(judge({ reply: { rejected: 'no' as never } }, 7)).toEqual({ kind: 'ok', accepted: 7 });
  });

  it('does judge it refused, with the reasons and what was accepted, when some events were refused', () => {
    const rejected = [{ index: 3, reason: 'timestamp is more than a day in the future' }];
    expect(judge({ reply: { accepted: 9, rejected } }, 10)).toEqual({ kind: 'refused', accepted: 9, refused: 1, reasons: rejected, reason: rejected[0]!.reason });
  });
});

describe('when the server refused events (4xx with reasons)', () => {
  const rejected = [
    { index: 0, reason: 'message is required' },
    { index: 1, reason: 'level is required' },
  ];

  it('does judge a 400 refused, every event counted', () => {
    expect(judge(answered(400, { error: 'event_invalid', message: 'no valid event', rejected }), 2)).toEqual({ kind: 'refused', accepted: 0, refused: 2, reasons: rejected, reason: 'message is required' });
  });

  it('does count what the server took when its refusal says so', () => {
    expect(judge(answered(400, { error: 'event_invalid', message: 'some events refused', accepted: 8, rejected }), 10)).toMatchObject({ kind: 'refused', accepted: 8, refused: 2 });
  });

  it('does refuse the whole batch when a 400 lists no reasons', () => {
    expect(judge(answered(400, { error: 'bad_request', message: 'the body is not JSON' }), 5)).toEqual({ kind: 'refused', accepted: 0, refused: 5, reasons: [], reason: 'server answered 400: the body is not JSON' });
  });
});

describe('when the batch is too large (413)', () => {
  it('does split a batch of more than one event', () => {
    expect(judge(answered(413, { error: 'body_too_large', message: 'too large' }), 2)).toEqual({ kind: 'split' });
  });

  it('does stop on a single event the server will never take', () => {
    expect(judge(answered(413, { error: 'body_too_large', message: 'too large' }), 1)).toMatchObject({ kind: 'fatal' });
  });
});

describe('when the answer is worth waiting for', () => {
  it.each([429, 503, 500, 502, 408])('does retry a %i', (status) => {
    expect(judge(answered(status, { error: 'x', message: 'later' }, '2'), 3)).toMatchObject({ kind: 'retry' });
  });

  it('does retry a network error, and any error it does not know', () => {
    expect(judge({ error: new LogFlowError('NETWORK', 'ECONNREFUSED', { transient: true }) }, 3)).toMatchObject({ kind: 'retry' });
    expect(judge({ error: new Error('socket hang up') }, 3)).toMatchObject({ kind: 'retry' });
  });
});

describe('when nothing more can be done', () => {
  it('does stop for good on a refused key, and on another 4xx', () => {
    expect(judge(answered(401, { error: 'unauthorized', message: 'API key is not valid' }), 3)).toMatchObject({ kind: 'fatal', error: { code: 'UNAUTHORIZED' } });
    expect(judge(answered(404, undefined), 3)).toMatchObject({ kind: 'fatal' });
  });

  it('does say stopped when the shipper itself aborted the request', () => {
    expect(judge({ error: new LogFlowError('ABORTED', 'stopped') }, 3)).toEqual({ kind: 'stopped' });
  });
});
