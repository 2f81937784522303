import { describe, expect, it } from 'vitest';
import { errorOfAnswer, ingestReply, RefusedEventsError, refusedInReply, statusOf } from './http.ts';

describe('when the server answers a POST /logs it has read', () => {
  it('does answer exactly 200 when every event is stored', () => {
    expect(ingestReply(3, [])).toEqual({ status: 200, body: { accepted: 3, rejected: [] } });
  });

  it('does answer 400 when any event was refused, and a client reads back who was stored', () => {
    const rejected = [{ index: 1, reason: 'timestamp "2026-02-30" is not a date and time that exists' }];
    const reply = ingestReply(2, rejected);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: 'event_invalid', accepted: 2, rejected, message: '1 of 3 events were refused: event 1: timestamp "2026-02-30" is not a date and time that exists; the other 2 are stored (sending the batch again stores none twice)' });
    const err = errorOfAnswer(reply.status, reply.body, JSON.stringify(reply.body), undefined);
    expect(err).toBeInstanceOf(RefusedEventsError);
    expect(err).toMatchObject({ code: 'EVENT_INVALID', transient: false, accepted: 2, rejected });
  });

  it('does say so when nothing could be stored', () => {
    expect(ingestReply(0, [{ index: 0, reason: 'r' }]).body).toMatchObject({ accepted: 0, message: 'no event of the 1 could be stored: event 0: r' });
  });

  it('does read an older server\'s 202 with a list of refusals as the same error', () => {
    expect(refusedInReply({ accepted: 4, rejected: [] })).toBeUndefined();
    expect(refusedInReply({ accepted: 4, rejected: [{ index: 2, reason: 'r' }] })).toMatchObject({ accepted: 4, rejected: [{ index: 2, reason: 'r' }] });
  });
});

describe('when a search ran past the search timeout', () => {
  it('does answer 504, which a client reads back as a server error', () => {
    expect(statusOf('SEARCH_TIMEOUT')).toBe(504);
    expect(errorOfAnswer(504, { message: 'stopped' }, '', undefined)).toMatchObject({ code: 'SERVER_ERROR', message: 'server answered 504: stopped' });
  });
});
