// For the migration-candidate report: the two facts it reads from each request event's free-form `detail` become
// columns of their own, written by the audit writer beside `detail` on every event from this version on:
//   bytes_out    = detail.bytesOut, the size of the response body in bytes (data requests);
//   column_usage = detail.columns, { select: [...], filter: [...], order: [...] }: the API properties the request's
//                  query plans selected, filtered and ordered on (json, like detail: the writer sends it as it is,
//                  and the report groups by its text).
// The report summed and grouped these by parsing each event's json `detail` in the store: about 1.4 s of the store's
// CPU per million events, the largest part of a report. Read from columns, that cost is gone.
//
// They are copies of what `detail` holds, for reading only: the record's hash covers `detail` and not these columns
// (the hash format is unchanged), and `gatehouse audit verify` checks `detail` as before.
//
// Events stored before this version keep null here: they are not rewritten (an UPDATE of every request event would
// write the whole audit log a second time). The report reads `detail` for those rows instead, so its figures do not
// change; only those rows cost the parse.
//
// Adding nullable columns without a default changes only the catalog on PostgreSQL (no table rewrite): the exclusive
// lock it takes is held for an instant.

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.raw('alter table audit_events add column if not exists bytes_out bigint, add column if not exists column_usage json');
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.raw('alter table audit_events drop column if exists bytes_out, drop column if exists column_usage');
}
