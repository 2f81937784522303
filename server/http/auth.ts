import type { IncomingMessage } from 'node:http';

/**
 * The API key a request carries, in any of the places agents can put one: `X-API-Key` (LogFlow's own
 * clients), `Authorization: Bearer <key>` (OpenTelemetry exporters, Vector, most HTTP clients),
 * `Authorization: ApiKey <key>` (Elasticsearch clients, Filebeat and Logstash, which may send base64 of
 * `id:key`), and Basic auth with the key as password (Fluent Bit's http_user/http_passwd, Promtail,
 * winston: any user name). undefined when there is none.
 */
export function apiKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const auth = req.headers.authorization?.trim();
  if (!auth) return undefined;
  const space = auth.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = auth.slice(0, space).toLowerCase();
  const value = auth.slice(space + 1).trim();
  if (value === '') return undefined;
  if (scheme === 'bearer') return value;
  if (scheme === 'apikey') return value.startsWith('lf_') ? value : (afterColon(decodeBase64(value)) ?? value);
  if (scheme === 'basic') {
    const pair = decodeBase64(value);
    if (pair === undefined) return undefined;
    const colon = pair.indexOf(':');
    const password = colon < 0 ? '' : pair.slice(colon + 1);
    // Some clients only let a user name be set: the key is then taken from there.
    return password !== '' ? password : (colon < 0 ? pair : pair.slice(0, colon)) || undefined;
  }
  return undefined;
}

export const KEY_HINT = 'send it as X-API-Key, Authorization: Bearer <key>, Authorization: ApiKey <key>, or as the password of Basic auth';

function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(value)) return undefined;
  const text = Buffer.from(value, 'base64').toString('utf8');
  return text === '' ? undefined : text;
}

function afterColon(text: string | undefined): string | undefined {
  const colon = text?.indexOf(':') ?? -1;
  return colon < 0 ? undefined : text!.slice(colon + 1) || undefined;
}
