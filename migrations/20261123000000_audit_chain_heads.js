// One row per instance holding the seq and hash of its chain's last stored record. Every commit moves it in the same
// statement that stores the records, and only from the head the records were chained on: so several commits can be
// in flight at once, each waiting on this row for the one before it, and a commit whose predecessor was not stored
// stores nothing (the chain never gets a gap). It also makes a second process writing under the same instance id
// fail its commits instead of forking the chain.

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('audit_chain_heads', (t) => {
    t.text('instance_id').primary();
    t.bigInteger('seq').notNullable();
    t.text('hash').notNullable();
  });
  // Chains written before this migration: their last record is their head. (An instance whose records retention
  // removed entirely gets its row from its retention checkpoint when it next starts.)
  await knex.raw(`
    insert into audit_chain_heads (instance_id, seq, hash)
    select e.instance_id, e.seq, e.hash
    from audit_events e
    join (select instance_id, max(seq) as seq from audit_events group by instance_id) last
      on last.instance_id = e.instance_id and last.seq = e.seq`);
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTableIfExists('audit_chain_heads');
}
