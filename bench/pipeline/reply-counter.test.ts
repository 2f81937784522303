import { describe, expect, it } from 'vitest';
import { ReplyCounter } from './ceilings.ts';

describe('when Redis replies arrive in pieces', () => {
  it('counts each reply once, wherever a chunk ends, and keeps the errors', () => {
    const wire = Buffer.from('$15\r\n1700000000000-0\r\n-ERR wrong\r\n$15\r\n1700000000000-1\r\n+OK\r\n');
    for (let cut = 0; cut <= wire.length; cut++) {
      const c = new ReplyCounter();
      c.push(wire.subarray(0, cut));
      c.push(wire.subarray(cut));
      expect(c.replies).toBe(4);
      expect(c.errors).toEqual(['-ERR wrong']);
    }
  });
});
