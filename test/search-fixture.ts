import type { LogEvent } from '../shared/event.ts';

// Events as real senders produce them (pino errors, logfmt strings, OTLP span ids, arrays, dotted keys)
// and as hostile ones do (huge texts, odd keys, escapes), for the tests that ask every store the same.

export const BASE_MS = Date.parse('2026-11-01T10:00:00.000Z');

let seq = 0;
export function fixtureEvent(id: string, over: Partial<LogEvent> & Record<string, unknown> = {}): LogEvent {
  seq += 1;
  return {
    event_id: id,
    project_id: 1,
    timestamp: new Date(BASE_MS + seq * 60_000).toISOString(),
    ingest_ts: new Date(BASE_MS + seq * 60_000 + 5).toISOString(),
    service: 'api',
    level: 'INFO',
    message: `request handled ${id}`,
    ...over,
  } as LogEvent;
}

const many = (word: string, n: number) => Array.from({ length: n }, () => word).join(' ');

export const FIXTURE: LogEvent[] = [
  fixtureEvent('pino-err', {
    service: 'checkout',
    level: 'ERROR',
    message: 'charge failed',
    request_id: 'req-123',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    host: 'web-1',
    env: 'prod',
    metadata: { err: { type: 'CardError', message: 'card declined', stack: 'CardError: card declined\n    at charge (/app/pay.js:10:5)' }, user_id: 42, http: { status: 500 } },
  }),
  fixtureEvent('logfmt', { service: 'billing', level: 'WARN', message: 'upstream slow', host: 'web-2', env: 'prod', metadata: { status: '502', duration: '1.5', user_id: '42' } }),
  fixtureEvent('dotted', { service: 'checkout', level: 'ERROR', message: 'socket closed', metadata: { 'err.code': 'ECONNRESET', http: { status: 503 } } }),
  fixtureEvent('nested', { service: 'checkout', level: 'ERROR', message: 'socket reset', host: 'web-1', metadata: { err: { code: 'ECONNRESET' }, http: { status: 404 } } }),
  fixtureEvent('pay-words', { service: 'pay-service', message: 'pay now or later', metadata: { tags: ['alpha', 'beta'], items: [{ sku: 'A-1', qty: 2 }, { sku: 'B-2', qty: 0.5 }] } }),
  fixtureEvent('payment', { service: 'payments', message: 'payment accepted for order 7', env: 'staging', metadata: { amount: -12.5, ok: true, note: '' } }),
  fixtureEvent('healthcheck', { service: 'api', level: 'DEBUG', message: 'healthcheck ok', host: 'web-3' }),
  fixtureEvent('otel', { service: 'api', message: 'span ended', trace_id: 'abc123', span_id: '00f067aa0ba902b7', metadata: { 'service.version': '1.2.3' } }),
  fixtureEvent('meta-span', { service: 'api', message: 'span from metadata', metadata: { span_id: 'feedface', zero: -0, big: 1e21, tiny: 0.1, neg: -3 } }),
  fixtureEvent('unicode', { service: 'api', message: 'Grüße aus İstanbul: 支付失败 ЗАКАЗ', metadata: { city: 'İstanbul' } }),
  fixtureEvent('odd-keys', { service: 'api', message: 'odd keys', metadata: JSON.parse('{"a=b":"c","back\\\\slash":"x","__proto__":{"polluted":"yes"},"quote\\"d":"it\'s","spaced key":"two words"}') as Record<string, unknown> }),
  fixtureEvent('long-token', { service: 'api', message: `blob ${'x'.repeat(250)} end` }),
  fixtureEvent('repeated', { service: 'api', message: `${many('spam', 300)} eggs`, metadata: { tail: 'spam eggs' } }),
  fixtureEvent('huge', { service: 'api', message: `${many('filler', 17_000)} needle`, metadata: { after: 'haystack' } }),
  fixtureEvent('long-value', { service: 'api', message: 'long value', metadata: { blob: 'v'.repeat(300), short: 'ok' } }),
  fixtureEvent('hyphen', { service: 'api', message: 'user-agent curl/8.0 from 10.0.0.1', request_id: 'req-1234', metadata: { path: '/api/v1/pay' } }),
  fixtureEvent('control', { service: 'api', message: 'evil \u001b[2K\u001b[31mred\u001b]0;title\u0007 done', metadata: { esc: '\u001b[1m' } }),
  fixtureEvent('other-project', { project_id: 2, service: 'checkout', level: 'ERROR', message: 'charge failed card declined', request_id: 'req-123' }),
];
