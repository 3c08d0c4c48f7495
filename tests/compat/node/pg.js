// node-postgres (pg) scenario: a Pool with parameterised queries, a named prepared
// statement reused 50 times, 10 concurrent increments, and transactions on a checked-out
// client (BEGIN/COMMIT/ROLLBACK, the pattern node-postgres documents).
'use strict';
const { Pool } = require('pg');
const { scenario, expect, call, connection } = require('./scenario');

const s = scenario('node-postgres');
const pool = new Pool({ ...connection(), max: 10 });

async function q(text, values) {
  return call(`pool.query(${JSON.stringify(text)}, ${JSON.stringify(values || [])})`, () => pool.query(text, values));
}
async function likes(id) {
  const r = await q('SELECT likes FROM posts WHERE id = $1', [id]);
  return r.rows.map((row) => row.likes);
}

s.step('connect with password', async () => {
  const r = await q('SELECT current_user AS u');
  expect('SELECT current_user', [{ u: process.env.PGUSER }], r.rows);
});

const ddl = `CREATE TABLE IF NOT EXISTS posts (
  id bigint PRIMARY KEY,
  title text NOT NULL,
  likes bigint NOT NULL DEFAULT 0)`;
s.step('create table', async () => {
  const r = await q(ddl);
  expect('CREATE TABLE command', 'CREATE', r.command);
});
s.step('create table again (IF NOT EXISTS)', async () => {
  await q(ddl);
});

s.step('insert with RETURNING', async () => {
  const r = await q('INSERT INTO posts (id, title) VALUES ($1, $2), ($3, $4) RETURNING id, title, likes', [1, 'hello', 2, 'second']);
  // bigint comes back as a string in node-postgres (it may not fit a JS number).
  expect('INSERT ... RETURNING rows', [{ id: '1', title: 'hello', likes: '0' }, { id: '2', title: 'second', likes: '0' }], r.rows);
  expect('INSERT rowCount', 2, r.rowCount);
});

s.step('list the posts', async () => {
  const r = await q('SELECT id, title FROM posts ORDER BY id');
  expect('SELECT id, title FROM posts ORDER BY id', [{ id: '1', title: 'hello' }, { id: '2', title: 'second' }], r.rows);
});

s.step('increment 50 times (named prepared statement)', async () => {
  for (let i = 0; i < 50; i++) {
    const r = await call('pool.query({name: "like", ...})', () =>
      pool.query({ name: 'like', text: 'UPDATE posts SET likes = likes + $1 WHERE id = $2', values: [1, 1] }));
    expect(`increment #${i + 1} rowCount`, 1, r.rowCount);
  }
  expect('likes after 50 increments', ['50'], await likes(1));
});

s.step('10 concurrent increments over the pool', async () => {
  const rs = await Promise.all(Array.from({ length: 10 }, () => q('UPDATE posts SET likes = likes + 1 WHERE id = $1', [1])));
  expect('rowCounts', Array(10).fill(1), rs.map((r) => r.rowCount));
  expect('likes after 60 increments', ['60'], await likes(1));
});

s.step('read back the row', async () => {
  const r = await q('SELECT id, title, likes FROM posts WHERE id = $1', [1]);
  expect('SELECT id, title, likes', [{ id: '1', title: 'hello', likes: '60' }], r.rows);
});

s.step('set an absolute value', async () => {
  const r = await q('UPDATE posts SET likes = $1 WHERE id = $2 RETURNING likes', [7, 1]);
  expect('UPDATE ... RETURNING likes', [{ likes: '7' }], r.rows);
  expect('likes', ['7'], await likes(1));
});

async function inTransaction(fn) {
  const client = await call('pool.connect()', () => pool.connect());
  try {
    await call('BEGIN', () => client.query('BEGIN'));
    const out = await fn(client);
    await call('COMMIT', () => client.query('COMMIT'));
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

s.step('transaction that commits', async () => {
  await inTransaction(async (c) => {
    await call('client.query(UPDATE likes + 5)', () => c.query('UPDATE posts SET likes = likes + $1 WHERE id = $2', [5, 1]));
    await call('client.query(UPDATE title)', () => c.query('UPDATE posts SET title = $1 WHERE id = $2', ['edited', 1]));
  });
  const r = await q('SELECT title, likes FROM posts WHERE id = $1', [1]);
  expect('SELECT title, likes after COMMIT', [{ title: 'edited', likes: '12' }], r.rows);
});

s.step('transaction that rolls back', async () => {
  const client = await call('pool.connect()', () => pool.connect());
  try {
    await call('BEGIN', () => client.query('BEGIN'));
    await call('client.query(UPDATE likes + 100)', () => client.query('UPDATE posts SET likes = likes + $1 WHERE id = $2', [100, 1]));
    const inside = await call('client.query(SELECT likes)', () => client.query('SELECT likes FROM posts WHERE id = $1', [1]));
    expect('likes inside the transaction', [{ likes: '112' }], inside.rows);
    await call('ROLLBACK', () => client.query('ROLLBACK'));
  } finally {
    client.release();
  }
  expect('likes after ROLLBACK', ['12'], await likes(1));
});

s.step('an error inside a transaction fails it (25P02) until ROLLBACK', async () => {
  const client = await call('pool.connect()', () => pool.connect());
  try {
    await call('BEGIN', () => client.query('BEGIN'));
    await call('UPDATE likes + 100', () => client.query('UPDATE posts SET likes = likes + $1 WHERE id = $2', [100, 1]));
    let err = await client.query('INSERT INTO posts (id, title) VALUES ($1, $2)', [2, 'duplicate']).catch((e) => e);
    expect('INSERT of an existing key: SQLSTATE', '23505', err && err.code);
    err = await client.query('SELECT likes FROM posts WHERE id = $1', [1]).catch((e) => e);
    expect('next statement in the failed transaction: SQLSTATE', '25P02', err && err.code);
    const r = await call('COMMIT of the failed transaction', () => client.query('COMMIT'));
    expect('COMMIT of a failed transaction answers', 'ROLLBACK', r.command);
  } finally {
    client.release();
  }
  expect('likes after the failed transaction', ['12'], await likes(1));
});

s.step('delete the row', async () => {
  const r = await q('DELETE FROM posts WHERE id = $1', [1]);
  expect('DELETE rowCount', 1, r.rowCount);
  expect('likes of the deleted row', [], await likes(1));
  const u = await q('UPDATE posts SET likes = likes + 1 WHERE id = $1', [1]);
  expect('increment of the deleted row: rowCount', 0, u.rowCount);
  expect('the other row', ['0'], await likes(2));
});

s.run(() => pool.end());
