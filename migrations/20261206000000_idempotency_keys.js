// Idempotency-Key (IETF httpapi idempotency-key-header draft): the first answer to a write carrying a key, kept so a
// retry with the same key and the same request is answered with it instead of running again.
//
// One row per (principal, key): `principal` is a digest of the caller's issuer, subject and client id, so one caller
// can never claim, see or replay another's answer whatever key it sends. `fingerprint` is a digest of the request
// (method, path, query, Prefer and body): the same key with another request is refused. A row is `in_flight` from the
// moment the request claims it until its answer is stored (`done`: status, headers and body as first sent); a
// request that ends without changing anything (a 5xx before its change committed) deletes its row, so the key can be
// used again. Rows expire at `expires_at` (idempotency.ttl after the claim) and are swept.

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.text('principal').notNullable();
    t.text('key').notNullable();
    t.text('fingerprint').notNullable();
    t.text('state').notNullable();
    // The request that claimed the key (its answer is replayed under this request id's audit event).
    t.text('request_id').notNullable();
    t.integer('status');
    t.jsonb('headers');
    t.text('body');
    t.integer('rows');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.primary(['principal', 'key']);
    t.index(['expires_at'], 'idempotency_keys_expires_index');
  });
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTableIfExists('idempotency_keys');
}
