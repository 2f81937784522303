import { Command, CommanderError, Option } from 'commander';
import { PROJECT_SETTINGS } from '../shared/project-settings.ts';
import { EXIT, runCommand } from './run.ts';
import { searchArguments } from './search/args.ts';

// Each subcommand is declared here (flags and help) and implemented in commands/<name>.ts, loaded only
// when it runs: `logflow ship` never loads the Redis, PostgreSQL or OpenSearch clients.

const program = new Command('logflow')
  .description('Ship, ingest, index and search logs.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

program
  .command('server')
  .description('run the ingest (POST /logs) and query (GET /search) server')
  .option('--host <host>', 'address to listen on (env LOGFLOW_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (env LOGFLOW_PORT, default 8080)')
  .action((o) => runCommand(async () => (await import('./commands/server.ts')).server(o)));

program
  .command('worker')
  .description('run the indexer: one consumer group per sink writing to OpenSearch, PostgreSQL and daily files')
  .option('--sinks <list>', 'comma list of opensearch, postgres, file (env LOGFLOW_SINKS)')
  .option('--consumer <name>', 'consumer name, stable across restarts (default hostname-pid)')
  .option('--metrics-port <port>', 'serve GET /metrics (Prometheus) on this port at LOGFLOW_HOST (env LOGFLOW_METRICS_PORT; default: none)')
  .action((o) => runCommand(async () => (await import('./commands/worker.ts')).worker(o)));

program
  .command('up')
  .description('migrate, then run the server and the worker in one process (a laptop, a single box)')
  .option('--host <host>', 'address to listen on')
  .option('--port <port>', 'port to listen on')
  .option('--sinks <list>', 'comma list of opensearch, postgres, file')
  .action((o) => runCommand(async () => (await import('./commands/up.ts')).up(o)));

program
  .command('status')
  .description('one screen: each sink’s lag, pending, write rate, dead letters, store health and oldest unwritten event; exits 1 when a store or Redis does not answer')
  .option('--json', 'print it as one JSON object')
  .action((o) => runCommand(async () => (await import('./commands/status.ts')).status(o)));

program
  .command('migrate')
  .description('create the database, tables, OpenSearch template and consumer groups (idempotent)')
  .action(() => runCommand(async () => (await import('./commands/migrate.ts')).migrateCommand()));

const projects = program.command('projects').description('manage projects and their API keys');
projects
  .command('create <name>')
  .description('create a project and print its API key (shown once, stored hashed)')
  .option('--json', 'print {"id","name","api_key"} as JSON')
  .option('--retention <days>', 'how long its logs are kept, e.g. 7d or 90d (default: LOGFLOW_RETENTION_DAYS)')
  .action((name, o) => runCommand(async () => (await import('./commands/projects.ts')).create(name, o)));
projects
  .command('list')
  .description('list projects')
  .option('--json', 'print JSON')
  .action((o) => runCommand(async () => (await import('./commands/projects.ts')).list(o)));
projects
  .command('disable <name>')
  .description('reject the project’s key from now on (within a few seconds)')
  .action((name) => runCommand(async () => (await import('./commands/projects.ts')).setActive(name, false)));
projects
  .command('enable <name>')
  .description('accept the project’s key again')
  .action((name) => runCommand(async () => (await import('./commands/projects.ts')).setActive(name, true)));
// One flag per per-project setting (shared/project-settings.ts); `default` puts it back to the installation's.
const projectsSet = projects
  .command('set <name>')
  .description('set the project’s own settings over the installation’s (`default`: back to the installation’s); servers apply them within 10 s');
for (const s of Object.values(PROJECT_SETTINGS)) projectsSet.option(`--${s.flag} ${s.value}`, `${s.description} (default: ${s.setting})`);
projectsSet.action((name, o) => runCommand(async () => (await import('./commands/projects.ts')).set(name, o)));

program
  .command('retention')
  .description('remove what is past retention from every store now (--now), or show what would go (--dry-run)')
  .option('--dry-run', 'list what is past retention, per store and project, and change nothing')
  .option('--now', 'remove it now (waits for a run another process holds), as the workers do every LOGFLOW_RETENTION_EVERY_MS')
  .option('--sinks <list>', 'stores to look at (env LOGFLOW_SINKS)')
  .option('--json', 'print what was (or would be) removed as JSON lines')
  .action((o) => runCommand(async () => (await import('./commands/retention.ts')).retention(o)));

const deadLetters = program.command('dead-letters').description('see, replay or drop the events a store refused (kept with the reason, never dropped silently)');
deadLetters
  .command('list')
  .description('show dead letters, oldest first, with the reason the store gave')
  .option('--sink <name>', 'only those this sink refused: opensearch, postgres or file')
  .option('--limit <n>', 'at most this many', '100')
  .addOption(new Option('--output <format>', 'output').choices(['pretty', 'ndjson']).default('pretty'))
  .action((o) => runCommand(async () => (await import('./commands/dead-letters.ts')).list(o)));
deadLetters
  .command('replay')
  .description('send dead letters back to the sink that refused them (only to it: the other stores have them already)')
  .option('--sink <name>', 'only those this sink refused')
  .option('--id <id>', 'only this one (as list shows it)')
  .action((o) => runCommand(async () => (await import('./commands/dead-letters.ts')).replay(o)));
deadLetters
  .command('drop')
  .description('delete dead letters for good')
  .option('--sink <name>', 'only those this sink refused')
  .option('--id <id>', 'only this one (as list shows it)')
  .action((o) => runCommand(async () => (await import('./commands/dead-letters.ts')).drop(o)));

program
  .command('ship')
  .description('tail files (paths or globs) or read stdin, batch the lines and send them to the server')
  .argument('[files...]', 'files or globs to tail; none: read stdin')
  .requiredOption('--service <name>', 'service the lines belong to')
  .option('--url <url>', 'server URL (env LOGFLOW_URL, default http://127.0.0.1:8080)')
  .option('--api-key <key>', 'project API key (env LOGFLOW_API_KEY)')
  .addOption(new Option('--format <format>', 'how lines are parsed').choices(['auto', 'json', 'logfmt', 'text']).default('auto'))
  .option('--env <env>', 'env field for every event')
  .option('--host <host>', 'host field for every event (default: this machine’s hostname)')
  .option('--field <key=value>', 'extra metadata field, repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--exclude <glob>', 'skip files a glob finds that match this too (a name like *.debug, or a path), repeatable; compressed ones (*.gz, …) are always skipped', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--state-dir <dir>', 'checkpoints and spool (env LOGFLOW_STATE_DIR, default ~/.local/state/logflow)')
  .option('--from-beginning', 'read files never seen before from their start, not their end')
  .option('--multiline-start <regex>', 'a line matching this starts an event; others join the one above')
  .option('--max-event-bytes <size>', 'largest event: a longer multiline event is split into several, a longer line cut (marked truncated)', '200KiB')
  .option('--batch-size <n>', 'events per request', '1000')
  .option('--batch-bytes <size>', 'bytes per request before gzip', '1MiB')
  .option('--flush-interval <duration>', 'send a partial batch after this long', '1s')
  .option('--concurrency <n>', 'requests in flight at most', '2')
  .option('--memory-limit <size>', 'batches held in memory (counted before gzip) before they go to the spool', '16MiB')
  .option('--spool-max <size>', 'disk spool size limit (batches kept gzipped, as sent)', '1GiB')
  .addOption(new Option('--when-full <policy>', 'when the spool is full').choices(['block', 'drop-oldest']).default('block'))
  .option('--drain-timeout <duration>', 'on EOF or SIGTERM, how long to keep delivering before spooling the rest', '30s')
  .option('--rotate-wait <duration>', 'how long a rotated or deleted file is still read after it stops growing', '5s')
  .option('--release-deleted-after <duration>', 'let go of a deleted file that waits this long for room in a full spool', '60s')
  .option('--quiet', 'no status line or summary on stderr')
  .action((files, o) => runCommand(async () => (await import('./commands/ship.ts')).ship(files, o)));

program
  .command('search')
  .description('search logs of the project the API key belongs to, newest first')
  .argument('[query...]', 'words (all must appear), "phrases", word*, -word, key:value, key:>=N, OR, (groups): see the README')
  .option('--service <name>', 'only this service')
  .option('--level <levels>', 'only these levels, e.g. ERROR or WARN,ERROR')
  .option('--since <duration>', 'only the last 15m, 1h, 7d ...')
  .option('--from <time>', 'from this ISO 8601 time (or duration ago)')
  .option('--to <time>', 'up to this ISO 8601 time (or duration ago)')
  .option('--limit <n>', 'at most this many events (pages through the server for you)', '100')
  .addOption(new Option('--output <format>', 'output').choices(['pretty', 'json', 'ndjson']).default('pretty'))
  .option('--fields <list>', 'with --output pretty, also show these fields, e.g. user_id,http.status')
  .option('--histogram', 'draw how many events matched per time bucket, by level, instead of listing them')
  .option('--buckets <n>', 'with --histogram, about this many bars (default 60)')
  .option('-f, --follow', 'print matching events as they arrive, until Ctrl-C')
  .option('--url <url>', 'server URL (env LOGFLOW_URL)')
  .option('--api-key <key>', 'project API key (env LOGFLOW_API_KEY)')
  .action((text, o) => runCommand(async () => (await import('./commands/search.ts')).search(text, o)));

/** process.argv, with `logflow search`'s "-word" terms sorted into its query (search/args.ts). */
function argv(): string[] {
  const [node, script, name, ...rest] = process.argv;
  const search = program.commands.find((c) => c.name() === 'search');
  if (name !== 'search' || !search) return process.argv;
  const options = search.options.map((o) => ({ names: [o.short, o.long].filter((n): n is string => n !== undefined), takesValue: o.required || o.optional }));
  options.push({ names: ['-h', '--help'], takesValue: false });
  return [node!, script!, name, ...searchArguments(rest, options)];
}

try {
  await program.parseAsync(argv());
} catch (err) {
  // Commander already printed the usage error; help and version are not failures.
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  else throw err;
}
