// scenario.js — runs the steps of one compatibility scenario: prints each step; on the
// first failure prints the step, the call, expected and actual values and the server's
// error (SQLSTATE and message), then exits 1.
'use strict';
const util = require('node:util');

class Failure extends Error {
  constructor(call, expected, actual, cause) {
    super(`${call}: expected ${expected}, got ${actual}`);
    Object.assign(this, { call, expected, actual, cause });
  }
}

// connection settings from the runner's environment; the password is always sent.
function connection() {
  return {
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT),
    user: process.env.PGUSER,
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE,
  };
}

function show(v) {
  return util.inspect(v, { depth: 4, breakLength: Infinity });
}

// expect throws a Failure unless got deep-equals want.
function expect(call, want, got) {
  if (!util.isDeepStrictEqual(want, got)) throw new Failure(call, show(want), show(got));
}

// call runs fn and wraps a thrown error with the call that threw it.
async function call(text, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Failure) throw err;
    throw new Failure(text, 'no error', 'error', err);
  }
}

function serverError(err) {
  // node-postgres DatabaseError: code is the SQLSTATE; Sequelize wraps it in err.parent.
  for (let e = err; e; e = e.parent || e.original || e.cause) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
      return `SQLSTATE ${e.code}: ${e.message}${e.detail ? ` (detail: ${e.detail})` : ''}`;
    }
  }
  return null;
}

function scenario(name) {
  console.log(`${name} scenario against ${process.env.PGHOST}:${process.env.PGPORT} database ${process.env.PGDATABASE}`);
  const steps = [];
  return {
    step(title, fn) { steps.push([title, fn]); },
    async run(cleanup) {
      // COMPAT_KEEP_GOING=1: run every step even after a failure (to see every gap at once).
      const keepGoing = !!process.env.COMPAT_KEEP_GOING;
      let failed = 0;
      for (const [title, fn] of steps) {
        try {
          await fn();
          console.log(`ok   ${title}`);
        } catch (err) {
          failed++;
          console.log(`FAIL step ${JSON.stringify(title)}`);
          if (err instanceof Failure) {
            console.log(`  call:     ${err.call}\n  expected: ${err.expected}\n  actual:   ${err.actual}`);
            err = err.cause;
          }
          if (err) {
            const s = serverError(err);
            console.log(s ? `  server error: ${s}` : `  error: ${err.stack || err}`);
          }
          if (!keepGoing) break;
        }
      }
      if (cleanup) await cleanup().catch((e) => console.log(`cleanup: ${e.message}`));
      if (failed) {
        console.log(`${name} scenario: ${failed} step(s) failed`);
        process.exit(1);
      }
      console.log(`${name} scenario: all steps passed`);
    },
  };
}

module.exports = { scenario, expect, call, connection, Failure };
