import path from 'node:path';

// Which files the patterns name: path discovery for the file source.

const GLOB_CHARS = /[*?[\]{}]/;

/** The directory a pattern's matches live under (what chokidar watches). */
export function baseDir(pattern: string): string {
  const parts = path.resolve(pattern).split(path.sep);
  const i = parts.findIndex((p) => GLOB_CHARS.test(p));
  return i < 0 ? path.dirname(parts.join(path.sep)) : parts.slice(0, i).join(path.sep) || path.sep;
}

/**
 * Rotated files compressed by logrotate and its kind: bytes, not lines. A glob such as `app.log*` that
 * reaches them leaves them out; a file named on the command line is read whatever its name.
 */
const COMPRESSED = ['*.gz', '*.bz2', '*.xz', '*.zst', '*.lz4', '*.zip', '*.Z'];

/**
 * Files matching the patterns now (tinyglobby: the matcher chokidar's own ecosystem uses), less
 * those a glob found that match an exclusion. An exclusion without a slash is matched against the
 * file's name (`*.gz`), one with a slash against its path.
 */
export async function expand(patterns: string[], exclude: string[]): Promise<string[]> {
  const resolved = patterns.map((p) => path.resolve(p));
  const plain = resolved.filter((p) => !GLOB_CHARS.test(p));
  const globs = resolved.filter((p) => GLOB_CHARS.test(p));
  if (!globs.length) return [...new Set(plain)];
  // tinyglobby matches absolute exclusions only: a name pattern applies under each glob's base directory.
  const bases = [...new Set(globs.map(baseDir))];
  const ignore = [...COMPRESSED, ...exclude].flatMap((e) => (e.includes('/') ? [path.resolve(e)] : bases.map((b) => path.join(b, '**', e))));
  // Loaded only for patterns (about 4 MB): a shipper of named files does without it.
  const { glob } = await import('tinyglobby');
  const matched = await glob(globs, { absolute: true, onlyFiles: true, dot: true, expandDirectories: false, ignore });
  return [...new Set([...plain, ...matched])];
}
