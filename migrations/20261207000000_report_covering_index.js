// The migration-candidate report's index now carries what most of its aggregates read, so they run as index-only
// scans instead of reading the whole event rows (statements and all) once per metric.
//
// It replaces audit_events_report_index: the same partial index on (resource, occurred_at) over request events of the
// contract's resources, with the columns below INCLUDEd (stored in the leaf tuples, not part of the key). The report's
// latency percentiles, distinct principals and clients, requests by hour and by day, and co-access buckets read
// nothing else; on a month of a million events the index is about a seventh of the table's size, and it is already in
// (resource, occurred_at) order, which the per-table latency percentiles use instead of sorting every event. Only the
// per-operation traffic and the column usage still read the rows, in one pass, for what is kept in the json `detail`.
//
// The cost is on every request event's insert: the index tuple grows from about 40 to about 100 bytes (one index
// entry per request event, as before).
//
// The new index exists before the old one goes; IF [NOT] EXISTS makes a re-run after an interruption finish the job.

/** Not in a transaction: CREATE / DROP INDEX CONCURRENTLY cannot run in one. */
export const config = { transaction: false };

const COVERING = 'audit_events_report_covering_index';
const PLAIN = 'audit_events_report_index';
const WHERE = `where kind = 'request' and resource is not null`;

/**
 * Runs the statements on one connection. On PostgreSQL, without the store's statement timeout (sized for audit commits,
 * seconds; building the index over a large log takes longer) and the driver's matching client-side timeout, restored
 * afterwards; CONCURRENTLY, so gateways still writing are not blocked meanwhile. A build that was interrupted (or
 * timed out under an older version) leaves an invalid index behind, which IF NOT EXISTS would keep: it is dropped
 * first, so a re-run builds it again.
 *
 * @param {import('knex').Knex} knex
 * @param {(how: string) => string[]} statements
 */
async function onOneConnection(knex, statements) {
  if (knex.client.config.client !== 'pg') {
    for (const text of statements('')) await knex.raw(text);
    return;
  }
  const connection = await knex.client.acquireConnection();
  const run = (text) => connection.query({ text, query_timeout: 24 * 3600 * 1000 });
  try {
    await run('set statement_timeout = 0');
    for (const text of statements('concurrently ')) await run(text);
  } finally {
    await run('reset statement_timeout').catch(() => undefined);
    await knex.client.releaseConnection(connection);
  }
}

/** @param {string} name */
function dropIfInvalid(name) {
  return `do $$ begin
            if exists (select 1 from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = '${name}' and not i.indisvalid)
            then execute 'drop index ${name}'; end if;
          end $$`;
}

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await onOneConnection(knex, (how) => [
    dropIfInvalid(COVERING),
    `create index ${how}if not exists ${COVERING} on audit_events (resource, occurred_at) ` +
      `include (zone, outcome, latency_ms, subject, client_id, client_ip) ${WHERE}`,
    `drop index ${how}if exists ${PLAIN}`,
  ]);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await onOneConnection(knex, (how) => [
    dropIfInvalid(PLAIN),
    `create index ${how}if not exists ${PLAIN} on audit_events (resource, occurred_at) ${WHERE}`,
    `drop index ${how}if exists ${COVERING}`,
  ]);
}
