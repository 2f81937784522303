// POST /logs: requests hostile as a whole (keys, content types and encodings, sizes, parameters).
// Good events inside a request refused whole must be in no store at all.
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { goodEvent, ndjson, type Part } from './build.ts';
import type { CaseContext, HostileClass, HttpCase } from './types.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Small gzip bodies that undo into `times` the limit: made once each, they cost seconds of CPU to make. */
const bombs = new Map<number, Buffer>();
function bomb(max: number, times: number): Buffer {
  let b = bombs.get(max * times);
  if (!b) bombs.set(max * times, (b = gzipSync(Buffer.alloc(max * times, 0x20), { level: 1 })));
  return b;
}

function goodBatch(ctx: CaseContext, n = ctx.rng.int(1, 3)): Part[] {
  return Array.from({ length: n }, () => goodEvent(ctx));
}

/** A request whose events are all good, sent with other headers or another body encoding. */
function reframed(ctx: CaseContext, className: string, parts: Part[], change: (c: HttpCase) => Partial<HttpCase>, expect: number[]): HttpCase {
  const c = ndjson(ctx, className, parts);
  return { ...c, ...change(c), class: className, expect };
}

export const REQUEST_CLASSES: HostileClass[] = [
  {
    name: 'wrong keys',
    weight: 6,
    make(ctx) {
      const headers = ctx.rng.pick<Record<string, string>>([
        {}, { 'x-api-key': 'lf_wrong' }, { 'x-api-key': '' }, { 'x-api-key': '   ' }, { 'x-api-key': `lf_${'k'.repeat(8000)}` }, { 'x-api-key': ctx.keys.disabled },
        { 'x-api-key': ctx.keys.hostile.slice(0, -1) }, { 'x-api-key': `${ctx.keys.hostile} ` + 'x' }, { authorization: 'Bearer' }, { authorization: 'Bearer ' },
        { authorization: 'Basic !!!' }, { authorization: `Basic ${b64(':')}` }, { authorization: `Basic ${b64('user:')}` }, { authorization: `ApiKey ${b64('garbage')}` },
        { authorization: `Digest ${ctx.keys.hostile}` }, { authorization: ctx.keys.hostile }, { authorization: `Bearer ${ctx.keys.disabled}` }, { authorization: `Basic ${b64(`x:${ctx.keys.disabled}`)}` },
      ]);
      return reframed(ctx, 'wrong keys', goodBatch(ctx).map((p) => ({ ...p, good: false })), (c) => ({ headers: { 'content-type': 'application/x-ndjson', ...headers }, good: [], body: c.body }), [401]);
    },
  },
  {
    name: 'wrong content types and encodings',
    weight: 6,
    make(ctx) {
      const [headers, expect] = ctx.rng.pick<[Record<string, string>, number[]]>([
        [{ 'content-type': 'image/png' }, [415]], [{ 'content-type': 'multipart/form-data; boundary=x' }, [415]], [{ 'content-type': 'text/html' }, [415]],
        [{ 'content-type': 'application/xml' }, [415]], [{ 'content-type': 'garbage' }, [415]], [{ 'content-type': ';;;' }, [200, 415]],
        [{ 'content-type': 'application/json; charset=utf-16' }, [200, 400, 415]], [{ 'content-type': 'APPLICATION/JSON' }, [200]], [{ 'content-type': 'application/vnd.api+json' }, [200]],
        [{ 'content-type': 'application/x-www-form-urlencoded' }, [200]], [{ 'content-encoding': 'br' }, [415]], [{ 'content-encoding': 'compress' }, [415]],
        [{ 'content-encoding': 'zstd' }, [415]], [{ 'content-encoding': 'gzip, gzip' }, [415]], [{ 'content-encoding': 'identity' }, [200]], [{ 'content-encoding': 'GZIP' }, [200, 400]],
      ]);
      const parts = goodBatch(ctx).map((p) => ({ ...p, good: false }));
      return reframed(ctx, 'wrong content types and encodings', parts, (c) => ({ headers: { ...c.headers, ...headers }, good: [] }), expect);
    },
  },
  {
    name: 'gzip without Content-Encoding, broken gzip and deflate',
    weight: 6,
    make(ctx) {
      const parts = goodBatch(ctx);
      const plain = Buffer.from(parts.map((p) => p.text).join('\n'));
      const [body, headers, expect, good] = ctx.rng.pick<[Buffer, Record<string, string>, number[], boolean]>([
        [gzipSync(plain), {}, [200], true],
        [gzipSync(plain), { 'content-encoding': 'gzip' }, [200], true],
        [gzipSync(plain), { 'content-encoding': 'x-gzip' }, [200], true],
        [deflateSync(plain), { 'content-encoding': 'deflate' }, [200], true],
        [deflateRawSync(plain), { 'content-encoding': 'deflate' }, [200], true],
        [gzipSync(plain).subarray(0, 12), {}, [400], false],
        [gzipSync(plain).subarray(0, Math.max(12, gzipSync(plain).length - 6)), { 'content-encoding': 'gzip' }, [400], false],
        [gzipSync(gzipSync(plain)), {}, [400], false],
        [Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]), {}, [400], false],
        [deflateSync(plain), {}, [400], false],
        [Buffer.from('definitely not deflate'), { 'content-encoding': 'deflate' }, [400], false],
        [gzipSync(plain), { 'content-encoding': 'deflate' }, [200], true],
      ]);
      const c = { ...ndjson(ctx, 'gzip without Content-Encoding, broken gzip and deflate', parts), body, headers: { 'content-type': 'application/x-ndjson', 'x-api-key': ctx.keys.hostile, ...headers }, expect };
      // A body that does not decode: what the server reads from it is not the records sent.
      return good ? c : { ...c, markers: undefined, good: undefined, maybe: parts.map((p) => p.marker!) };
    },
  },
  {
    name: 'oversized bodies and gzip bombs',
    weight: 3,
    make(ctx) {
      const max = ctx.maxBodyBytes;
      const filler = (n: number) => Buffer.alloc(n, `{"message":"filler","level":"info"}\n`);
      const kind = ctx.rng.pick(['declared', 'chunked', 'bomb', 'bomb-said', 'at-limit-gzip']);
      if (kind === 'at-limit-gzip') {
        // Many small events, gzip-compressed well under the limit and a little under it when undone.
        const parts = Array.from({ length: ctx.rng.int(200, 2000) }, () => goodEvent(ctx));
        return { ...ndjson(ctx, 'oversized bodies and gzip bombs', parts), headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', 'x-api-key': ctx.keys.hostile }, body: gzipSync(parts.map((p) => p.text).join('\n')), expect: [200] };
      }
      const body = kind === 'declared' || kind === 'chunked' ? filler(max + ctx.rng.int(1, max)) : bomb(max, ctx.rng.pick([2, 8, 64]));
      return { kind: 'http', class: 'oversized bodies and gzip bombs', method: 'POST', path: '/logs', headers: { 'content-type': 'application/json', 'x-api-key': ctx.keys.hostile, ...(kind === 'bomb-said' ? { 'content-encoding': 'gzip' } : {}) }, body, chunked: kind === 'chunked', expect: [413] };
    },
  },
  {
    name: 'bad parameters on POST /logs',
    weight: 3,
    make(ctx) {
      const [path, expect] = ctx.rng.pick<[string, number[]]>([
        ['/logs?service=', [400]], [`/logs?service=${'s'.repeat(300)}`, [400]], ['/logs?service=%00x', [200]], ['/logs?servce=x', [400]], ['/logs?service=a&service=b', [200, 400]],
        ['/logs?%zz=1', [400]], ['/logs?service=%E0%A4%A', [200, 400]], [`/logs?service=x&${'p'.repeat(9000)}=1`, [400, 431]], ['/logs/', [404]], ['/LOGS', [404]], ['/logs?', [200]],
        ['//logs', [404]], ['/logs#frag', [200]], ['/logs?service=%20%20', [400]],
      ]);
      const parts = goodBatch(ctx).map((p) => ({ ...p, good: false }));
      return reframed(ctx, 'bad parameters on POST /logs', parts, () => ({ path, good: [] }), expect);
    },
  },
  {
    name: 'random bytes (fast-check)',
    weight: 4,
    make(ctx) {
      const [body] = fc.sample(fc.uint8Array({ maxLength: 4096 }), { seed: ctx.fcSeed(), numRuns: 1 });
      const type = ctx.rng.pick(['application/json', 'application/x-ndjson', 'text/plain', '', 'application/octet-stream']);
      // Whatever the bytes hold is the server's to read or refuse; events found in them are not counted.
      return { kind: 'http', class: 'random bytes (fast-check)', method: 'POST', path: '/logs?service=random', headers: { 'x-api-key': ctx.keys.hostile, ...(type ? { 'content-type': type } : {}) }, body: Buffer.from(body!) };
    },
  },
  {
    name: 'methods and routes',
    weight: 2,
    make(ctx) {
      const [method, path, expect] = ctx.rng.pick<[string, string, number[]]>([
        ['PUT', '/logs', [405]], ['DELETE', '/logs', [405]], ['PATCH', '/search', [405]], ['GET', '/logs', [405]], ['POST', '/healthz', [405]],
        ['OPTIONS', '/logs', [405]], ['POST', '/', [404]], ['GET', '/../etc/passwd', [404]], ['GET', '/%2e%2e/nothing', [404]], ['POST', '/logs/../logs', [200]],
      ]);
      const parts = goodBatch(ctx).map((p) => ({ ...p, good: false }));
      return reframed(ctx, 'methods and routes', parts, () => ({ method, path, good: [] }), expect);
    },
  },
];
