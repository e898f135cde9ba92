// For the migration-candidate report (`gatehouse report migration`, GET /_gatehouse/reports/migration).
//
// The report aggregates request events per table in the store. Its window is selected through the occurred_at index;
// this partial index on (resource, occurred_at), over request events of the contract's resources only, lets a report
// on some sources (`--source`) read just their tables' events, and finds a table's first and last access in a window
// without a scan. It holds request events only (not intents or outcomes), the same rows the report reads.
//
// What the report needs that events did not record before this version is kept in the event's free-form `detail`
// (a json column the hash chain already covers; the row shape and the hash format are unchanged):
//   detail.columns  = { select: [...], filter: [...], order: [...] }: the API properties the request's query plans
//                     selected, filtered and ordered on (from the plans, never from SQL text);
//   detail.bytesOut = the size of the response body in bytes.
// Events written before this version have neither: a report over such a window shows no column usage and 0 bytes out.
//
// Built CONCURRENTLY on PostgreSQL, outside a transaction, so gateways still writing are not blocked meanwhile.

/** Not in a transaction: CREATE / DROP INDEX CONCURRENTLY cannot run in one. */
export const config = { transaction: false };

/** @param {import('knex').Knex} knex */
function concurrently(knex) {
  return knex.client.config.client === 'pg' ? 'concurrently ' : '';
}

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw(
    `create index ${concurrently(knex)}if not exists audit_events_report_index on audit_events (resource, occurred_at) ` +
      `where kind = 'request' and resource is not null`,
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw(`drop index ${concurrently(knex)}if exists audit_events_report_index`);
}
