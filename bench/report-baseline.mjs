// The baseline `report.bench.ts` compares against: a bare count of request events per resource over the report's
// window, in its own process. Usage: report-baseline.mjs STORE_URL
import pg from 'pg';

const client = new pg.Client({ connectionString: process.argv[2] });
await client.connect();
try {
  const { rows } = await client.query(
    `select resource, count(*) from audit_events
      where occurred_at >= now() - interval '31 days' and occurred_at < now() and kind = 'request' and resource is not null
      group by resource`,
  );
  process.stdout.write(`${rows.length}\n`);
} finally {
  await client.end();
}
