import mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';

/**
 * A fresh database on the real MariaDB/MySQL named by DATABASE_URL, unique per suite,
 * so suites (and parallel runs) never see each other's rows. Drop it in afterAll.
 */
export async function createScratchDatabase(prefix = 'qb'): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const base = new URL(process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test');
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: base.toString() });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const conn = await mysql.createConnection({ uri: base.toString() });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
