// A request event is its own ref (ref = id), so an index on ref only needs the other records (intents and
// outcomes): request events, nearly every record, no longer pay for it on insert. Lookups of a request's
// records go through (instance_id, ref) for the others and the id index for the request event itself.
//
// On PostgreSQL the indexes are built and dropped CONCURRENTLY, outside a transaction, so that gateways still
// writing to a large store are not blocked while the new index is built; the new index exists before the old one
// goes. IF [NOT] EXISTS makes a re-run after an interruption finish the job.

/** Not in a transaction: CREATE / DROP INDEX CONCURRENTLY cannot run in one. */
export const config = { transaction: false };

/** @param {import('knex').Knex} knex */
function concurrently(knex) {
  return knex.client.config.client === 'pg' ? 'concurrently ' : '';
}

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  const how = concurrently(knex);
  await knex.raw(
    `create index ${how}if not exists audit_events_instance_ref_index on audit_events (instance_id, ref) where kind <> 'request'`,
  );
  await knex.raw(`drop index ${how}if exists audit_events_ref_index`);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  const how = concurrently(knex);
  await knex.raw(`create index ${how}if not exists audit_events_ref_index on audit_events (ref)`);
  await knex.raw(`drop index ${how}if exists audit_events_instance_ref_index`);
}
