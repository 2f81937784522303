import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/logger.ts';
import { acceptAll, startReceiver, type Receiver } from '../../../test/receiver.ts';
import { LogFlowClient } from '../../client.ts';
import { linesParcel } from './parcel.ts';
import { Sender } from './sender.ts';

// The sender against a real HTTP server, through the real client: what it does with each answer.

const events = (n: number, from = 0) => Array.from({ length: n }, (_, i) => JSON.stringify({ event_id: `e:${from + i}`, message: `event ${from + i}` }));
const ids = (r: Receiver) => r.accepted.map((e) => e.event_id);
const log = createLogger('silent');

let receiver: Receiver | undefined;
let client: LogFlowClient | undefined;

afterEach(async () => {
  await client?.close();
  await receiver?.close();
});

async function sender(answering = acceptAll) {
  receiver = await startReceiver(answering);
  client = new LogFlowClient(receiver.url, 'lf_test');
  return new Sender({ client, log, baseMs: 5, maxMs: 20 });
}

describe('when the server is away for a while', () => {
  it('does send the same batch again until it is taken, and counts the retries', async () => {
    const s = await sender((evs, request) => (request < 3 ? { status: 503, body: { error: 'queue_unavailable', message: 'Redis is away' } } : acceptAll(evs, request)));
    expect(await s.send(linesParcel(events(5)), new AbortController().signal)).toEqual({ kind: 'delivered' });
    expect(ids(receiver!)).toEqual(['e:0', 'e:1', 'e:2', 'e:3', 'e:4']);
    expect(s.stats).toEqual({ sent: 5, accepted: 5, rejected: 0, retries: 3, retrying: 0 });
  });

  it('does stop when told to, mid-retry, without the batch counted as sent', async () => {
    const s = await sender(() => ({ status: 503, body: { error: 'queue_unavailable', message: 'down' } }));
    const stop = new AbortController();
    const sending = s.send(linesParcel(events(2)), stop.signal);
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    expect(await sending).toEqual({ kind: 'stopped' });
    expect(s.stats.sent).toBe(0);
    expect(s.stats.retrying).toBe(0);
  });
});

describe('when the batch is larger than the server takes (413)', () => {
  it('does send it in halves, each event once and in order', async () => {
    const s = await sender((evs, request) => (evs.length > 4 ? { status: 413, body: { error: 'body_too_large', message: 'over the limit' } } : acceptAll(evs, request)));
    expect(await s.send(linesParcel(events(13)), new AbortController().signal)).toEqual({ kind: 'delivered' });
    expect(ids(receiver!)).toEqual(events(13).map((e) => JSON.parse(e).event_id));
    expect(s.stats).toMatchObject({ sent: 13, accepted: 13 });
  });
});

describe('when the server refuses some events', () => {
  it('does count them as refused and the batch as done (a 202 listing them)', async () => {
    const s = await sender((evs) => ({ status: 202, body: { accepted: evs.length - 1, rejected: [{ index: 1, reason: 'level is required' }] } }));
    expect(await s.send(linesParcel(events(4)), new AbortController().signal)).toEqual({ kind: 'delivered' });
    expect(s.stats).toEqual({ sent: 4, accepted: 3, rejected: 1, retries: 0, retrying: 0 });
  });

  it('does the same for a 400 that refuses them all, and never sends them again', async () => {
    const s = await sender((evs) => ({ status: 400, body: { error: 'event_invalid', message: 'no valid event', rejected: evs.map((_, index) => ({ index, reason: 'message is required' })) } }));
    expect(await s.send(linesParcel(events(3)), new AbortController().signal)).toEqual({ kind: 'delivered' });
    expect(receiver!.requests).toBe(1);
    expect(s.stats).toMatchObject({ sent: 3, accepted: 0, rejected: 3 });
  });
});

describe('when the key is refused (401)', () => {
  it('does stop for good, saying why, after one request', async () => {
    const s = await sender(() => ({ status: 401, body: { error: 'unauthorized', message: 'API key is not valid' } }));
    const sent = await s.send(linesParcel(events(3)), new AbortController().signal);
    expect(sent).toMatchObject({ kind: 'fatal', error: { code: 'UNAUTHORIZED' } });
    expect(sent.kind === 'fatal' && sent.error.message).toMatch(/401.*API key is not valid/);
    expect(receiver!.requests).toBe(1);
    expect(s.stats.sent).toBe(0);
  });
});
