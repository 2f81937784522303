import { describe, expect, it } from 'vitest';
import { defaultSinks, loadSettings } from './config.ts';

describe('when reading settings', () => {
  it('has defaults that run on a fresh machine', () => {
    const s = loadSettings({});
    expect(s.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(s.LOGFLOW_PORT).toBe(8080);
    expect(defaultSinks(s)).toEqual(['postgres', 'file']);
    expect(defaultSinks(loadSettings({ OPENSEARCH_URL: 'http://127.0.0.1:9200' }))).toEqual(['opensearch', 'postgres', 'file']);
  });

  it('lets flags override the environment', () => {
    expect(loadSettings({ LOGFLOW_PORT: '9000' }, { LOGFLOW_PORT: '9001' }).LOGFLOW_PORT).toBe(9001);
  });

  it('fails with one line naming the variable, what is wrong and what it is for', () => {
    expect(() => loadSettings({ LOGFLOW_PORT: 'abc' })).toThrow(/^LOGFLOW_PORT must be a whole number \(got "abc"\): port the server listens on$/);
    expect(() => loadSettings({ LOGFLOW_SINKS: 'postgres,elastic' })).toThrow(/LOGFLOW_SINKS "elastic" is not a sink/);
    expect(() => loadSettings({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must be a redis or rediss URL/);
  });

  it('refuses an unknown LOGFLOW_ variable, so a typo never falls back to a default', () => {
    expect(() => loadSettings({ LOGFLOW_SINK: 'file' })).toThrow(/unknown setting LOGFLOW_SINK/);
  });
});
