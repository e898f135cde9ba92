// A request event is its own ref (ref = id), so an index on ref only needs the other records (intents and
// outcomes): request events, nearly every record, no longer pay for it on insert. Lookups of a request's
// records go through (instance_id, ref) for the others and the id index for the request event itself.

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['ref']);
  });
  await knex.raw(
    `create index audit_events_instance_ref_index on audit_events (instance_id, ref) where kind <> 'request'`,
  );
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('drop index audit_events_instance_ref_index');
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['ref']);
  });
}
