import mysql from 'mysql2/promise';
import { createScratchDatabase } from '../support/mariadb';
import { describeTokenLifecycle } from './token-lifecycle.suite';

describeTokenLifecycle('TypeORM on MariaDB', async () => {
  const db = await createScratchDatabase('qb_core');
  return {
    storage: { type: 'typeorm', url: db.url },
    cleanup: db.drop,
    // Everything in the table, as text: the raw-scan test looks for tokens in any encoding.
    rawDump: async () => {
      const conn = await mysql.createConnection({ uri: db.url });
      const [rows] = await conn.query('SELECT * FROM quickbooks_connections');
      await conn.end();
      return JSON.stringify(rows);
    },
  };
});
