import { execFileSync } from 'node:child_process';

// The integration suites talk to real Redis, PostgreSQL and OpenSearch. Redis and PostgreSQL are the
// machine's (.ci/run starts them when they are down); OpenSearch is started here when it is absent,
// with the same script a user runs.
export default function setup(): void {
  if (process.env.LOGFLOW_TEST_OPENSEARCH_URL) return;
  execFileSync('bash', ['scripts/opensearch.sh', 'start'], { stdio: ['ignore', 'inherit', 'inherit'] });
  process.env.LOGFLOW_TEST_OPENSEARCH_URL = 'http://127.0.0.1:9200';
}
