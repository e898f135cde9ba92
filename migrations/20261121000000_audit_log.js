// The audit log: events (hash-chained per instance) and signed checkpoints. Plain JS so src and dist share it.

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('audit_events', (t) => {
    t.text('instance_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.text('id').notNullable().unique();
    // request: one per request; intent: written before a mutation (or a streamed body) is released;
    // outcome: closes an intent whose request event never came ('unknown' after a crash).
    t.text('kind').notNullable();
    // The request event's id, on every record of that request (its intents and outcome included).
    t.text('ref').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable();
    t.text('request_id').notNullable();
    t.text('method').notNullable();
    t.text('path').notNullable();
    t.text('route');
    t.text('operation_id');
    t.text('resource');
    t.integer('status');
    t.text('outcome').notNullable();
    t.text('error_code');
    t.text('denied_by');
    t.double('latency_ms');
    t.integer('row_count');
    t.text('subject');
    t.text('client_id');
    t.jsonb('scopes');
    t.jsonb('roles');
    t.text('token_id');
    t.text('client_ip');
    t.jsonb('forwarded_for');
    t.text('zone');
    t.text('peer_ip');
    t.jsonb('statements').notNullable();
    t.jsonb('detail');
    t.text('prev_hash').notNullable();
    t.text('hash').notNullable();
    t.primary(['instance_id', 'seq']);
    // Each index is paid on every request's commit: only what listing, lookup and recovery need.
    t.index(['occurred_at']);
    // recorded_at only grows within an instance: a BRIN index serves verify / retention ranges for little upkeep.
    t.index(['recorded_at'], 'audit_events_recorded_at_brin', { storageEngineIndexType: 'brin' });
    t.index(['ref']);
    t.index(['request_id']);
  });
  await knex.schema.createTable('audit_checkpoints', (t) => {
    t.bigIncrements('id').primary();
    t.text('instance_id').notNullable();
    // periodic | shutdown | retention
    t.text('kind').notNullable();
    t.bigInteger('seq').notNullable();
    t.text('hash').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.bigInteger('removed_from_seq');
    t.bigInteger('removed_count');
    t.timestamp('removed_before', { useTz: true });
    t.text('key_id').notNullable();
    t.text('public_key').notNullable();
    t.text('signature').notNullable();
    t.index(['instance_id', 'seq']);
  });
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTableIfExists('audit_checkpoints');
  await knex.schema.dropTableIfExists('audit_events');
}
