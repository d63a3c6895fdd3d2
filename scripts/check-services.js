#!/usr/bin/env node
// Fails fast, naming the server and how to start it, when MariaDB/MySQL or Redis does not answer.
// The test suites never skip silently: an unreachable server is a failed run.
const mysql = require('mysql2/promise');
const Redis = require('ioredis');

const DATABASE_URL = process.env.DATABASE_URL || 'mysql://root@127.0.0.1:3306/test';
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

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
    return `MariaDB/MySQL at ${redactUrl(DATABASE_URL)} is unreachable (${err.code || err.message}).\n` +
      '  Start it:  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd\n' +
      '  Create the database:  mariadb -uroot -e "CREATE DATABASE IF NOT EXISTS test"\n' +
      '  Or point DATABASE_URL at another server (mysql://user:pass@host:3306/db).';
  } finally {
    if (conn) await conn.end().catch(() => undefined);
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
    return `Redis at ${redactUrl(REDIS_URL)} is unreachable (${err.code || err.message}).\n` +
      '  Start it:  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n' +
      '  Or point REDIS_URL at another server (redis://host:6379).';
  } finally {
    redis.disconnect();
  }
}

(async () => {
  const problems = (await Promise.all([checkMysql(), checkRedis()])).filter(Boolean);
  if (problems.length) {
    console.error('The test suites need real servers and will not skip:\n\n' + problems.join('\n\n'));
    process.exit(1);
  }
  console.log(`services ok: ${redactUrl(DATABASE_URL)}, ${redactUrl(REDIS_URL)}`);
})();
