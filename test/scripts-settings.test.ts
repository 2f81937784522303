import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../shared/config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

// logflow refuses LOGFLOW_* variables it does not know (a typo never falls back to a default), so a
// script that reads one of its own under that prefix makes logflow fail in the same shell.
describe('when the scripts read environment variables', () => {
  const files = [...readdirSync(path.join(ROOT, 'scripts')).map((f) => path.join('scripts', f)), '.ci/run'];
  const names = new Set(files.flatMap((f) => [...readFileSync(path.join(ROOT, f), 'utf8').matchAll(/\bLOGFLOW_[A-Z0-9_]+/g)].map((m) => m[0])));

  it.each([...names])('does read %s only as the logflow setting of that name', (name) => {
    let message = '';
    try {
      loadSettings({ [name]: 'x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toMatch(/^unknown setting/);
  });
});
