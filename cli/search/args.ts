// `logflow search -healthcheck level:ERROR --since 1h`: an exclusion is a query term, not an option.
// Commander reads any argument beginning with "-" as an option and stops with "unknown option", so
// the search command's arguments are sorted first: its own options (and their values) stay options,
// and every other argument, "-word" and "-(a OR b)" too, goes to the query in the order written.
// An unknown "--option" is still refused (a mistyped --sevice must not be searched for as words).

export interface OptionShape {
  /** "--since", "-f". */
  names: string[];
  /** Whether the option takes a value (the next argument, or after "="). */
  takesValue: boolean;
}

/** The arguments after `search`, options first, then "--" and the query's terms. */
export function searchArguments(args: string[], options: OptionShape[]): string[] {
  const byName = new Map<string, OptionShape>();
  for (const o of options) for (const n of o.names) byName.set(n, o);
  const own: string[] = [];
  const query: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      query.push(...args.slice(i + 1));
      break;
    }
    const name = a.startsWith('--') ? a.split('=', 1)[0]! : a;
    const option = byName.get(name);
    if (option || a.startsWith('--')) {
      // A known option, or an unknown long one, which commander refuses with its usage.
      own.push(a);
      if (option?.takesValue && !a.includes('=') && i + 1 < args.length) own.push(args[++i]!);
      continue;
    }
    query.push(a);
  }
  return query.length ? [...own, '--', ...query] : own;
}
