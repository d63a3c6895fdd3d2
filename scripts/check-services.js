#!/usr/bin/env node
// Fails fast, naming the server and how to start it, when MariaDB/MySQL, PostgreSQL or Redis does not answer,
// and naming the one command that installs it when a system tool the suites run is missing
// (Chromium for the browser test, promtool for the alert rules). Nothing skips silently.
const { spawnSync } = require('node:child_process');
const { accessSync, constants } = require('node:fs');
const mysql = require('mysql2/promise');
const Redis = require('ioredis');
const { Client: PostgresClient } = require('pg');

const DATABASE_URL = process.env.DATABASE_URL || 'mysql://root@127.0.0.1:3306/test';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const POSTGRES_URL = process.env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function checkMysql() {
  let conn;
  try {
    conn = await mysql.createConnection({ uri: DATABASE_URL, connectTimeout: 5000 });
    await conn.query('SELECT 1');
    return null;
  } catch (err) {
    return (
      `MariaDB/MySQL at ${redactUrl(DATABASE_URL)} is unreachable (${err.code || err.message}).\n` +
      '  Start it:  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd\n' +
      '  Create the database:  mariadb -uroot -e "CREATE DATABASE IF NOT EXISTS test"\n' +
      '  Or point DATABASE_URL at another server (mysql://user:pass@host:3306/db).'
    );
  } finally {
    if (conn) await conn.end().catch(() => undefined);
  }
}

async function checkPostgres() {
  const client = new PostgresClient({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (
      `PostgreSQL at ${redactUrl(POSTGRES_URL)} is unreachable (${err.code || err.message}).\n` +
      '  Start it:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n' +
      '  Or point POSTGRES_URL at another server (postgres://user:pass@host:5432/db).'
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis() {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 5000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return (
      `Redis at ${redactUrl(REDIS_URL)} is unreachable (${err.code || err.message}).\n` +
      '  Start it:  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n' +
      '  Or point REDIS_URL at another server (redis://host:6379).'
    );
  } finally {
    redis.disconnect();
  }
}

/** Debian packages of the system tools the suites run; `.ci/run` installs them the same way. */
const SYSTEM_TOOLS = [
  {
    name: 'Chromium (browser test of the example page)',
    present: () => isExecutable(process.env.CHROMIUM_PATH || '/usr/bin/chromium'),
    install: 'apt-get update && apt-get install -y chromium',
  },
  {
    name: 'promtool (alert rules and /metrics checks)',
    present: () => !spawnSync(process.env.PROMTOOL_PATH || 'promtool', ['--version'], { stdio: 'ignore' }).error,
    install: 'apt-get update && apt-get install -y --no-install-recommends prometheus',
  },
];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function checkSystemTools() {
  return SYSTEM_TOOLS.filter((tool) => !tool.present()).map((tool) => `${tool.name} is not installed.\n  Install it:  ${tool.install}`);
}

(async () => {
  const problems = [...(await Promise.all([checkMysql(), checkPostgres(), checkRedis()])), ...checkSystemTools()].filter(Boolean);
  if (problems.length) {
    console.error('The test suites need real servers and tools and will not skip:\n\n' + problems.join('\n\n'));
    process.exit(1);
  }
  console.log(`services ok: ${redactUrl(DATABASE_URL)}, ${redactUrl(POSTGRES_URL)}, ${redactUrl(REDIS_URL)}`);
})();
