// Prints N sample log lines, as a mix of real shapes: pino JSON, logfmt (Go slog) and plain text.
const n = Number(process.argv[2] ?? 2000);
const now = Date.now();
const levels = [30, 30, 30, 30, 40, 30, 20];
const words = { 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR' };
const out = [];
for (let i = 0; i < n; i++) {
  const level = levels[i % levels.length];
  const ts = now - (n - i) * 1000;
  const failed = i % 11 === 0;
  const msg = failed ? `payment failed for order ${1000 + i}: card declined` : `GET /api/orders/${i} 200 in ${i % 250}ms`;
  const lvl = failed ? 50 : level;
  switch (i % 3) {
    case 0:
      out.push(JSON.stringify({ level: lvl, time: ts, pid: 4242, hostname: 'web-1', req_id: `r-${i}`, msg }));
      break;
    case 1:
      out.push(`time=${new Date(ts).toISOString()} level=${words[lvl]} msg="${msg}" order=${1000 + i}`);
      break;
    default:
      out.push(`${new Date(ts).toISOString()} ${words[lvl]} ${msg}`);
  }
}
process.stdout.write(out.join('\n') + '\n');
