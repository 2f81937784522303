import { describe, expect, it } from 'vitest';
import type { FileCheckpoint } from './checkpoints.ts';
import { digest, type SeenFile } from './disk.ts';
import { readToItsEnd, rewritten, Rotation, stuckAfterRotation, type Recovery, type Tailed } from './rotation.ts';

// Rotation's decisions from what is on disk and in the checkpoints, without a file system: each case
// is a directory listing (name, inode, size, first bytes) and the records an earlier run saved.

const DIR = '/var/log/app';
const at = (name: string) => `${DIR}/${name}`;
const text = (s: string) => Buffer.from(s);
const CONTENT = 'first generation line 1\nline 2\nline 3\n';
const NEXT = 'second generation after the truncation\n';

function file(name: string, ino: number, content: string, size = Buffer.byteLength(content)): SeenFile {
  return { path: at(name), dev: 1, ino, size, head: text(content).subarray(0, 256) };
}

/** The record an earlier run saved for `content` read up to `offset`, under the name it was shipped as. */
function record(name: string, ino: number, content: string, offset: number): FileCheckpoint {
  const fpLen = Math.min(Buffer.byteLength(content), 256);
  return { id: `f${ino}`, dev: 1, ino, fingerprint: digest(text(content).subarray(0, fpLen)), fpLen, offset, path: at(name), updatedAt: 0 };
}

const recover = (records: FileCheckpoint[], files: SeenFile[], named: string[], rotation = new Rotation()) => rotation.recover(records, new Map([[DIR, files]]), new Set(named.map(at)));
const kinds = (steps: Recovery[]) => steps.map((s) => `${s.kind} ${'file' in s ? s.file.path.slice(DIR.length + 1) : 'to' in s ? `${s.record.id}→${s.to.path.slice(DIR.length + 1)}` : s.record.id}`);

describe('when the shipper starts after files were rotated while it was stopped', () => {
  it('does finish a file renamed away from the name the patterns give, when it was not read to its end', () => {
    const r = record('app.log', 7, CONTENT, 10);
    expect(kinds(recover([r], [file('app.log.1', 7, CONTENT), file('app.log', 8, NEXT)], ['app.log']))).toEqual(['finish app.log.1']);
  });

  it('does nothing for a renamed file read to its end', () => {
    const r = record('app.log', 7, CONTENT, Buffer.byteLength(CONTENT));
    expect(recover([r], [file('app.log.1', 7, CONTENT)], ['app.log'])).toEqual([]);
  });

  it('does finish a rotated file a killed run was finishing, still under its rotated name (issue 8, item 1)', () => {
    // The run that took app.log.1 up to finish it was killed; its checkpoint keeps the name it was shipped as.
    const r = record('app.log', 7, CONTENT, 10);
    expect(kinds(recover([r], [file('app.log.1', 7, CONTENT)], ['app.log']))).toEqual(['finish app.log.1']);
  });

  it('does finish it however many times it was renamed since', () => {
    const r = record('app.log', 7, CONTENT, 10);
    expect(kinds(recover([r], [file('app.log.4', 7, CONTENT)], ['app.log']))).toEqual(['finish app.log.4']);
  });

  it('does leave it to the scan when the patterns name it, where it is now', () => {
    const r = record('app.log', 7, CONTENT, 10);
    expect(recover([r], [file('app.log.1', 7, CONTENT)], ['app.log', 'app.log.1'])).toEqual([]);
    expect(recover([r], [file('app.log', 7, CONTENT)], ['app.log'])).toEqual([]);
  });

  it('does leave alone a file in place under a name the patterns no longer give', () => {
    const r = record('drop.txt', 7, CONTENT, 10);
    expect(recover([r], [file('drop.txt', 7, CONTENT)], ['keep.txt'])).toEqual([]);
  });

  it('does nothing for a file deleted, or whose inode now holds other bytes outside the patterns', () => {
    const r = record('app.log', 7, CONTENT, 10);
    expect(recover([r], [file('app.log', 8, NEXT)], ['app.log'])).toEqual([]);
    expect(recover([r], [file('other.log', 7, NEXT)], ['app.log'])).toEqual([]);
  });

  it('does finish a copytruncate copy from the checkpoint, and read the truncated file from its start', () => {
    const r = record('app.log', 7, CONTENT, 10);
    const rotation = new Rotation();
    const steps = recover([r], [file('app.log', 7, NEXT), file('app.log.1', 9, CONTENT)], ['app.log'], rotation);
    expect(kinds(steps)).toEqual(['read-anew app.log', 'relocate f7→app.log.1', 'finish app.log.1']);
    // The scan then takes up app.log from its start.
    expect(rotation.scan([file('app.log', 7, NEXT)], [], true)).toEqual([{ kind: 'open', file: file('app.log', 7, NEXT), fromStart: true }]);
  });

  it('does leave the copy to the scan when the patterns name it too', () => {
    const r = record('app.log', 7, CONTENT, 10);
    expect(kinds(recover([r], [file('app.log', 7, NEXT), file('app.log.1', 9, CONTENT)], ['app.log', 'app.log.1']))).toEqual(['read-anew app.log', 'relocate f7→app.log.1']);
  });

  it('does not take for the copy a file another record knows as its own', () => {
    const r = record('app.log', 7, CONTENT, 10);
    const older = record('app.log', 9, CONTENT, Buffer.byteLength(CONTENT)); // an earlier generation, alike
    expect(kinds(recover([r, older], [file('app.log', 7, NEXT), file('app.log.2', 9, CONTENT), file('app.log.1', 11, CONTENT)], ['app.log']))).toEqual(['read-anew app.log', 'relocate f7→app.log.1', 'finish app.log.1']);
  });

  it('does forget a record whose inode the copy now reuses', () => {
    const r = record('app.log', 7, CONTENT, 10);
    const gone = record('old.log', 9, 'a file deleted long ago\n', 5);
    expect(kinds(recover([r, gone], [file('app.log', 7, NEXT), file('app.log.1', 9, CONTENT)], ['app.log']))).toEqual(['read-anew app.log', 'forget f9', 'relocate f7→app.log.1', 'finish app.log.1']);
  });

  it('does read a truncated file from its start when no copy reaches as far as we had read', () => {
    const r = record('app.log', 7, CONTENT, 30);
    expect(kinds(recover([r], [file('app.log', 7, NEXT), file('app.log.1', 9, CONTENT.slice(0, 20))], ['app.log']))).toEqual(['read-anew app.log']);
  });
});

/** A file being read, as the file source describes it. */
function tailed(name: string, ino: number, content: string, o: Partial<Tailed> = {}): Tailed {
  return { id: `1:${ino}`, path: at(name), head: text(content).subarray(0, 256), offset: Buffer.byteLength(content), lastGrowth: 0, lastProgress: 0, ...o };
}

describe('when the shipper scans for files while it runs', () => {
  it('does follow a file renamed within the patterns, and mark one the patterns no longer name as rotated', () => {
    const steps = new Rotation().scan([file('b.log', 7, CONTENT)], [tailed('a.log', 7, CONTENT), tailed('c.log', 8, NEXT)], false);
    expect(steps).toEqual([
      { kind: 'renamed', id: '1:7', path: at('b.log') },
      { kind: 'rotated', id: '1:8' },
    ]);
  });

  it('does mark a rotated file once', () => {
    expect(new Rotation().scan([], [tailed('a.log', 7, CONTENT, { rotatedAt: 5 })], false)).toEqual([]);
  });

  it('does hold back a new file that starts like one being read for three scans, then take it up as its own', () => {
    const rotation = new Rotation();
    const copy = file('app.log.1', 9, CONTENT);
    const reading = [tailed('app.log', 7, CONTENT)];
    const live = file('app.log', 7, CONTENT);
    for (let i = 0; i < 3; i++) expect(rotation.scan([live, copy], reading, false)).toEqual([{ kind: 'hold', file: copy }]);
    expect(rotation.scan([live, copy], reading, false)).toEqual([{ kind: 'open', file: copy, fromStart: false }]);
  });

  it('does not hold back a file that starts otherwise, one in another directory, or any at startup', () => {
    const reading = [tailed('app.log', 7, CONTENT)];
    const live = file('app.log', 7, CONTENT);
    expect(new Rotation().scan([live, file('new.log', 9, NEXT)], reading, false)).toMatchObject([{ kind: 'open' }]);
    expect(new Rotation().scan([live, { ...file('app.log.1', 9, CONTENT), path: '/elsewhere/app.log.1' }], reading, false)).toMatchObject([{ kind: 'open' }]);
    expect(new Rotation().scan([live, file('app.log.1', 9, CONTENT)], reading, true)).toMatchObject([{ kind: 'open' }]);
  });
});

describe('when a file being read was truncated in place', () => {
  it('does find its copy: another file that starts with what was read and reaches as far', () => {
    const t = tailed('app.log', 7, CONTENT, { offset: 20 });
    const copy = file('app.log.1', 9, CONTENT);
    expect(new Rotation().copyOf(t, [file('app.log', 7, NEXT), file('other.log', 8, NEXT), copy])).toBe(copy);
  });

  it('does find none shorter than where we were, none that starts otherwise, and none for a file never read', () => {
    const t = tailed('app.log', 7, CONTENT, { offset: 30 });
    expect(new Rotation().copyOf(t, [file('app.log.1', 9, CONTENT.slice(0, 25))])).toBeUndefined();
    expect(new Rotation().copyOf(t, [file('other.log', 9, `x${CONTENT}`)])).toBeUndefined();
    expect(new Rotation().copyOf(tailed('app.log', 7, '', { offset: 0 }), [file('app.log.1', 9, CONTENT)])).toBeUndefined();
  });

  it('does take up a copy it held back once a truncation claimed it (then from the checkpoint moved to it)', () => {
    const rotation = new Rotation();
    const copy = file('app.log.1', 9, CONTENT);
    const t = tailed('app.log', 7, CONTENT);
    expect(rotation.scan([file('app.log', 7, CONTENT), copy], [t], false)).toMatchObject([{ kind: 'hold' }]);
    expect(rotation.copyOf(t, [copy])).toBe(copy);
    // The truncated file starts over with the next generation's bytes: the copy no longer looks like it.
    expect(rotation.scan([file('app.log', 7, NEXT), copy], [tailed('app.log', 7, NEXT)], false)).toEqual([{ kind: 'open', file: copy, fromStart: false }]);
  });

  it('does tell a rewrite by size, or by first bytes when it grew back past where we were', () => {
    expect(rewritten(5, 10, text('abc'), text('abc'))).toBe(true);
    expect(rewritten(50, 10, text('abc'), text('xbc'))).toBe(true);
    expect(rewritten(50, 10, text('abc'), text('ab'))).toBe(true);
    expect(rewritten(50, 10, text('abc'), text('abcdef'))).toBe(false);
    expect(rewritten(0, 0, text(''), text(''))).toBe(false);
  });
});

describe('when a rotated file has been read', () => {
  const t = (o: Partial<Tailed>) => tailed('app.log.1', 7, CONTENT, o);

  it('does let it go once quiet for the rotate wait, never while reading or before it is rotated', () => {
    expect(readToItsEnd(t({ rotatedAt: 1000, lastGrowth: 2000 }), false, 7000, 5000)).toBe(true);
    expect(readToItsEnd(t({ rotatedAt: 1000, lastGrowth: 2000 }), false, 6000, 5000)).toBe(false);
    expect(readToItsEnd(t({ rotatedAt: 1000, lastGrowth: 0 }), true, 9000, 5000)).toBe(false);
    expect(readToItsEnd(t({ lastGrowth: 0 }), false, 9000, 5000)).toBe(false);
  });

  it('does call it stuck when no read was handed on for the limit since it was rotated', () => {
    expect(stuckAfterRotation(t({ rotatedAt: 1000, lastProgress: 500 }), 61_000, 60_000)).toBe(true);
    expect(stuckAfterRotation(t({ rotatedAt: 1000, lastProgress: 30_000 }), 61_000, 60_000)).toBe(false);
    expect(stuckAfterRotation(t({ lastProgress: 0 }), 99_000, 60_000)).toBe(false);
  });
});
