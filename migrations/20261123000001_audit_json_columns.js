// The free-form columns (scopes, roles, forwarded_for, statements, detail) become json instead of jsonb. They are
// written on every request and read back only whole (the events API, export, verify) or as text (the `sql` filter
// searches statements::text), never by jsonb operators. json keeps the text as sent and skips building a jsonb
// document on insert: on the store's benchmark that is about 9 of the ~70 µs of PostgreSQL CPU a record costs.
//
// Changing a column's type rewrites the table under an exclusive lock: on a large store, run `gatehouse migrate`
// in a quiet window (audited requests wait, and past the queue get 503 audit_unavailable, while it runs).

const COLUMNS = ['scopes', 'roles', 'forwarded_for', 'statements', 'detail'];

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  const changes = COLUMNS.map((c) => `alter column ${c} type json using ${c}::json`).join(', ');
  await knex.raw(`alter table audit_events ${changes}`);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  const changes = COLUMNS.map((c) => `alter column ${c} type jsonb using ${c}::jsonb`).join(', ');
  await knex.raw(`alter table audit_events ${changes}`);
}
