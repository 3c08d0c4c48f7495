// Sequelize scenario: a Post model (Sequelize's default auto-increment id), sequelize.sync()
// twice (the second sees the table), create, increment, update, managed transactions that
// commit and roll back, destroy.
'use strict';
const { Sequelize, DataTypes } = require('sequelize');
const { scenario, expect, call, connection } = require('./scenario');

const c = connection();
const log = [];
const sequelize = new Sequelize(c.database, c.user, c.password, {
  host: c.host,
  port: c.port,
  dialect: 'postgres',
  pool: { max: 10 },
  logging: (sql) => log.push(sql),
});
const columns = {
  id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
  title: { type: DataTypes.TEXT, allowNull: false },
  likes: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
};
const Post = sequelize.define('Post', columns, { tableName: 'posts', timestamps: false });

const s = scenario('Sequelize');
let post;

async function likes() {
  const p = await call(`Post.findByPk(${post.id})`, () => Post.findByPk(post.id));
  return p && p.likes;
}

s.step('connect with password', async () => {
  await call('sequelize.authenticate()', () => sequelize.authenticate());
});
s.step('sequelize.sync() creates the table', async () => {
  await call('sequelize.sync()', () => sequelize.sync());
});
s.step('sequelize.sync() again sees the table', async () => {
  await call('sequelize.sync() (second run)', () => sequelize.sync());
});

s.step('Post.create assigns the id and the default', async () => {
  post = await call("Post.create({ title: 'hello' })", () => Post.create({ title: 'hello' }));
  console.log(`     (create got id ${post.id})`);
  expect('post.likes after create', 0, Number(post.likes));
  const p = await call(`Post.findByPk(${post.id})`, () => Post.findByPk(post.id));
  expect('Post.findByPk', { id: String(post.id), title: 'hello', likes: '0' }, p && { ...p.get({ plain: true }), id: String(p.id) });
});

s.step('list and count the posts (findAll, count)', async () => {
  await call("Post.create({ title: 'second' })", () => Post.create({ title: 'second' }));
  const all = await call("Post.findAll({ order: [['id', 'ASC']] })", () => Post.findAll({ order: [['id', 'ASC']] }));
  expect('titles of Post.findAll', ['hello', 'second'], all.map((p) => p.title));
  expect('Post.count()', 2, await call('Post.count()', () => Post.count()));
});

s.step('increment 50 times (instance.increment)', async () => {
  for (let i = 0; i < 50; i++) {
    await call(`post.increment('likes') #${i + 1}`, () => post.increment('likes', { by: 1 }));
  }
  expect('likes', '50', await likes());
});

s.step('10 concurrent increments over the pool (Model.increment)', async () => {
  await Promise.all(Array.from({ length: 10 }, () =>
    call('Post.increment({ likes: 1 }, { where: { id } })', () => Post.increment({ likes: 1 }, { where: { id: post.id } }))));
  expect('likes', '60', await likes());
});

s.step('set an absolute value', async () => {
  const [n] = await call('Post.update({ likes: 7 }, { where: { id } })', () => Post.update({ likes: 7 }, { where: { id: post.id } }));
  expect('rows updated', 1, n);
  expect('likes', '7', await likes());
});

s.step('sequelize.transaction that commits', async () => {
  await call('sequelize.transaction(commit)', () => sequelize.transaction(async (transaction) => {
    await post.increment('likes', { by: 5, transaction });
    await Post.update({ title: 'edited' }, { where: { id: post.id }, transaction });
  }));
  const p = await call('Post.findByPk', () => Post.findByPk(post.id));
  expect('title and likes after commit', ['edited', '12'], [p.title, p.likes]);
});

s.step('sequelize.transaction that rolls back', async () => {
  const boom = new Error('roll back on purpose');
  let got;
  try {
    await sequelize.transaction(async (transaction) => {
      await call("post.increment('likes', { by: 100 })", () => post.increment('likes', { by: 100, transaction }));
      const inside = await call('Post.findByPk in the transaction', () => Post.findByPk(post.id, { transaction }));
      expect('likes inside the transaction', '112', inside.likes);
      throw boom;
    });
  } catch (err) {
    got = err;
  }
  if (got !== boom) throw got || new Error('sequelize.transaction did not reject');
  expect('likes after rollback', '12', await likes());
});

s.step('destroy', async () => {
  await call('post.destroy()', () => post.destroy());
  expect('Post.findByPk of the destroyed post', null, await call('Post.findByPk', () => Post.findByPk(post.id)));
});

s.step('the next release: sync({ alter: true }) adds a column', async () => {
  // A new release: its own Sequelize instance and a model with one more counter.
  const next = new Sequelize(c.database, c.user, c.password, {
    host: c.host, port: c.port, dialect: 'postgres', logging: (sql) => log.push(sql),
  });
  try {
    const PostV2 = next.define('Post', { ...columns, shares: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 } },
      { tableName: 'posts', timestamps: false });
    await call('sequelize.sync({ alter: true })', () => next.sync({ alter: true }));
    const p = await call("PostV2.create({ title: 'v2' })", () => PostV2.create({ title: 'v2' }));
    await call("p.increment('shares', { by: 3 })", () => p.increment('shares', { by: 3 }));
    const got = await call('PostV2.findByPk', () => PostV2.findByPk(p.id));
    expect('the new row', { title: 'v2', likes: '0', shares: '3' }, got && { title: got.title, likes: got.likes, shares: got.shares });
  } finally {
    await next.close();
  }
});

s.run(async () => {
  await sequelize.close();
  if (process.env.COMPAT_SHOW_SQL) console.log(log.join('\n'));
});
