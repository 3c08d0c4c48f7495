// Knex scenario: migrations (knex.migrate.latest twice: the second sees the table and its
// own bookkeeping and does nothing), the query builder's insert/returning, increment(),
// update, knex.transaction commit and rollback, delete.
'use strict';
const path = require('node:path');
const { scenario, expect, call, connection } = require('./scenario');

const knex = require('knex')({
  client: 'pg',
  connection: connection(),
  pool: { min: 0, max: 10 },
  migrations: { directory: path.join(__dirname, 'migrations') },
});
const s = scenario('Knex');
let id;

async function row() {
  return call(`knex('posts').where({ id: ${id} }).first()`, () => knex('posts').where({ id }).first());
}
async function expectLikes(want) {
  const r = await row();
  expect(`likes of post ${id}`, String(want), r && r.likes);
}

s.step('connect with password', async () => {
  const r = await call('knex.raw("select current_user")', () => knex.raw('select current_user as u'));
  expect('current_user', [{ u: process.env.PGUSER }], r.rows);
});

s.step('knex.migrate.latest() creates the table', async () => {
  const [batch, log] = await call('knex.migrate.latest()', () => knex.migrate.latest());
  expect('migrations run', [1, ['20260101000000_create_posts.js']], [batch, log]);
  expect('knex.schema.hasTable("posts")', true, await call('knex.schema.hasTable', () => knex.schema.hasTable('posts')));
});
s.step('knex.migrate.latest() again does nothing', async () => {
  const [batch, log] = await call('knex.migrate.latest() (second run)', () => knex.migrate.latest());
  expect('migrations run the second time', [1, []], [batch, log]);
});

s.step('insert returning the id and the default', async () => {
  const rows = await call("knex('posts').insert({ title: 'hello' }).returning(['id', 'likes'])", () =>
    knex('posts').insert({ title: 'hello' }).returning(['id', 'likes']));
  expect('returned rows', 1, rows.length);
  id = rows[0].id;
  console.log(`     (insert got id ${id})`);
  expect('returned likes', '0', rows[0].likes);
  const [second] = await call("knex('posts').insert({ title: 'second' })", () => knex('posts').insert({ title: 'second' }).returning('id'));
  if (second.id === id) expect('second id', 'a new id', second.id);
  expect('the row', { id, title: 'hello', likes: '0' }, await row());
});

s.step('list and count the posts', async () => {
  const rows = await call("knex('posts').orderBy('id')", () => knex('posts').orderBy('id'));
  expect("titles of knex('posts').orderBy('id')", ['hello', 'second'], rows.map((r) => r.title));
  const [{ n }] = await call("knex('posts').count('* as n')", () => knex('posts').count('* as n'));
  expect("knex('posts').count()", '2', n);
});

s.step('increment 50 times', async () => {
  for (let i = 0; i < 50; i++) {
    const n = await call(`knex('posts').where({ id }).increment('likes', 1) #${i + 1}`, () =>
      knex('posts').where({ id }).increment('likes', 1));
    expect(`increment #${i + 1}: rows updated`, 1, n);
  }
  await expectLikes(50);
});

s.step('10 concurrent increments over the pool', async () => {
  const ns = await Promise.all(Array.from({ length: 10 }, () =>
    call("knex('posts').where({ id }).increment('likes', 1)", () => knex('posts').where({ id }).increment('likes', 1))));
  expect('rows updated', Array(10).fill(1), ns);
  await expectLikes(60);
});

s.step('upsert increment (onConflict().merge())', async () => {
  for (let i = 0; i < 2; i++) {
    await call("knex('posts').insert({ id, title, likes: 1 }).onConflict('id').merge({ likes: knex.raw('posts.likes + 1') })", () =>
      knex('posts').insert({ id, title: 'upserted', likes: 1 }).onConflict('id').merge({ likes: knex.raw('?? + 1', ['posts.likes']) }));
  }
  await expectLikes(62);
});

s.step('set an absolute value', async () => {
  const n = await call("knex('posts').where({ id }).update({ likes: 7 })", () => knex('posts').where({ id }).update({ likes: 7 }));
  expect('rows updated', 1, n);
  await expectLikes(7);
});

s.step('knex.transaction that commits', async () => {
  await call('knex.transaction(commit)', () => knex.transaction(async (trx) => {
    await trx('posts').where({ id }).increment('likes', 5);
    await trx('posts').where({ id }).update({ title: 'edited' });
  }));
  expect('the row after commit', { id, title: 'edited', likes: '12' }, await row());
});

s.step('knex.transaction that rolls back', async () => {
  const boom = new Error('roll back on purpose');
  let got;
  try {
    await knex.transaction(async (trx) => {
      await call("trx('posts').increment('likes', 100)", () => trx('posts').where({ id }).increment('likes', 100));
      const inside = await call('trx: first()', () => trx('posts').where({ id }).first());
      expect('likes inside the transaction', '112', inside.likes);
      throw boom;
    });
  } catch (err) {
    got = err;
  }
  if (got !== boom) throw got || new Error('knex.transaction did not reject');
  await expectLikes(12);
});

s.step('nested transaction (savepoint) rolls back alone', async () => {
  const boom = new Error('inner rollback');
  await call('knex.transaction(outer with a failing inner trx.transaction)', () => knex.transaction(async (trx) => {
    await trx('posts').where({ id }).increment('likes', 1);
    let got;
    try {
      await trx.transaction(async (inner) => {
        await inner('posts').where({ id }).increment('likes', 100);
        throw boom;
      });
    } catch (err) {
      got = err;
    }
    if (got !== boom) throw got || new Error('inner transaction did not reject');
  }));
  await expectLikes(13);
});

s.step('delete the row', async () => {
  const n = await call("knex('posts').where({ id }).del()", () => knex('posts').where({ id }).del());
  expect('rows deleted', 1, n);
  expect('the deleted row', undefined, await row());
});

s.step('the next release\'s migration adds a column', async () => {
  const dirs = [path.join(__dirname, 'migrations'), path.join(__dirname, 'migrations_v2')];
  const [batch, log] = await call('knex.migrate.latest({ directory: [migrations, migrations_v2] })', () =>
    knex.migrate.latest({ directory: dirs }));
  expect('migrations run', [2, ['20260102000000_add_shares.js']], [batch, log]);
  const [row] = await call("knex('posts').insert({ title: 'v2' }).returning('id')", () => knex('posts').insert({ title: 'v2' }).returning('id'));
  const n = await call("knex('posts').where({ id }).increment('shares', 3)", () => knex('posts').where({ id: row.id }).increment('shares', 3));
  expect('rows updated', 1, n);
  const got = await call("knex('posts').where({ id }).first()", () => knex('posts').where({ id: row.id }).first());
  expect('the new row', { id: row.id, title: 'v2', likes: '0', shares: '3' }, got);
});

s.run(() => knex.destroy());
