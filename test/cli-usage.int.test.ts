import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';

const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOGFLOW_URL: 'http://127.0.0.1:9', LOGFLOW_API_KEY: 'lf_x' };

describe('when the command line or the configuration is wrong', () => {
  it.each([
    [['search', '--level', 'LOUD'], {}, /--level: unknown level "LOUD"/],
    [['search', '--since', 'yesterday'], {}, /--since "yesterday" is not a duration/],
    [['server'], { LOGFLOW_PORT: 'abc' }, /^logflow: LOGFLOW_PORT must be a whole number/],
    [['worker'], { LOGFLOW_SINKS: 'elastic' }, /LOGFLOW_SINKS "elastic" is not a sink/],
    [['worker', '--metrics-port', 'abc'], {}, /^logflow: LOGFLOW_METRICS_PORT must be a whole number/],
    [['ship', '--service', 'api'], { LOGFLOW_API_KEY: '' }, /no API key: pass --api-key or set LOGFLOW_API_KEY/],
    [['ship', '--service', 'api', '--spool-max', 'lots'], {}, /--spool-max "lots" is not a size/],
    [['ship'], {}, /required option '--service <name>' not specified/],
    [['ship', '--service', 'api', '--exclude', '*.gz'], {}, /--exclude applies to the files ship tails, and none are named/],
    [['ship', '--service', 'api', '--from-beginning'], {}, /--from-beginning applies to the files ship tails/],
    [['ship', '--service', 'api', '--field', 'team'], {}, /--field "team" is not key=value/],
  ])('exits 2 for %j and says why in one line', async (args, extra, message) => {
    const r = await runCli(args, { ...env, ...extra });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('exits 1 with one line when the server cannot be reached', async () => {
    const r = await runCli(['search', 'x'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach the LogFlow server at http:\/\/127.0.0.1:9/);
  });
});
