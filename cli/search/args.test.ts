import { describe, expect, it } from 'vitest';
import { searchArguments, type OptionShape } from './args.ts';

const OPTIONS: OptionShape[] = [
  { names: ['--since'], takesValue: true },
  { names: ['--service'], takesValue: true },
  { names: ['-f', '--follow'], takesValue: false },
  { names: ['-h', '--help'], takesValue: false },
];

describe('when sorting the arguments of logflow search', () => {
  it('does send "-word" and "-(group)" to the query, in the order written, and keep its options', () => {
    expect(searchArguments(['-healthcheck', 'level:ERROR', '--since', '1h', '-(a OR b)', '-f'], OPTIONS)).toEqual(['--since', '1h', '-f', '--', '-healthcheck', 'level:ERROR', '-(a OR b)']);
  });

  it('does keep an option\'s value even when it begins with "-", and values given with "="', () => {
    expect(searchArguments(['--service', '-odd', '--since=1h', 'x'], OPTIONS)).toEqual(['--service', '-odd', '--since=1h', '--', 'x']);
  });

  it('does leave an unknown --option to be refused, and what follows "--" to the query', () => {
    expect(searchArguments(['--sevice', 'api'], OPTIONS)).toEqual(['--sevice', '--', 'api']);
    expect(searchArguments(['a', '--', '--since', '1h'], OPTIONS)).toEqual(['--', 'a', '--since', '1h']);
    expect(searchArguments(['--help'], OPTIONS)).toEqual(['--help']);
  });
});
