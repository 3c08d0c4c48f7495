// Knex migration: the posts table as Knex users write it (bigIncrements: an auto-increment
// bigserial key).
exports.up = function up(knex) {
  return knex.schema.createTable('posts', (t) => {
    t.bigIncrements('id');
    t.text('title').notNullable();
    t.bigInteger('likes').notNullable().defaultTo(0);
  });
};

exports.down = function down(knex) {
  return knex.schema.dropTable('posts');
};
