// The next release's Knex migration: a second counter column on posts.
exports.up = function up(knex) {
  return knex.schema.alterTable('posts', (t) => {
    t.bigInteger('shares').notNullable().defaultTo(0);
  });
};

exports.down = function down(knex) {
  return knex.schema.alterTable('posts', (t) => {
    t.dropColumn('shares');
  });
};
