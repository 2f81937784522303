import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { apiKeyOf } from './auth.ts';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const KEY = 'lf_abc123';

describe('when a request carries an API key', () => {
  it('does find it wherever an agent can put it', () => {
    for (const headers of <Record<string, string>[]>[
      { 'x-api-key': ` ${KEY} ` }, { authorization: `Bearer ${KEY}` }, { authorization: `bearer  ${KEY}` }, { authorization: `ApiKey ${KEY}` },
      { authorization: `ApiKey ${b64(`my-id:${KEY}`)}` }, { authorization: `Basic ${b64(`fluent-bit:${KEY}`)}` }, { authorization: `Basic ${b64(`${KEY}:`)}` },
    ]) {
      expect(apiKeyOf(request(headers)), JSON.stringify(headers)).toBe(KEY);
    }
  });

  it('does find none in what carries no key', () => {
    for (const headers of <Record<string, string>[]>[{}, { 'x-api-key': '  ' }, { authorization: 'Bearer' }, { authorization: 'Bearer   ' }, { authorization: 'Digest x' }, { authorization: 'Basic !!!' }]) {
      expect(apiKeyOf(request(headers)), JSON.stringify(headers)).toBeUndefined();
    }
  });
});
