#!/usr/bin/env node
// The test suite against the local PostgreSQL server: a fresh database for this run (each test
// file then makes its own beside it), dropped afterwards. PGHOST/PGPORT/PGUSER override defaults.
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const host = process.env.PGHOST ?? '127.0.0.1';
const port = process.env.PGPORT ?? '5432';
const user = process.env.PGUSER ?? 'postgres';
const name = `keel_ci_${Date.now().toString(36)}_${process.pid}`;
const admin = `postgres://${user}@${host}:${port}/postgres`;

async function sql(text) {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

await sql(`create database ${name}`);
let status = 1;
try {
  const res = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: `postgres://${user}@${host}:${port}/${name}` },
  });
  status = res.status ?? 1;
} finally {
  await sql(`drop database if exists ${name} with (force)`);
}
process.exit(status);
