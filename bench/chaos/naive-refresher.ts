/**
 * The negative control: how many hand-rolled integrations refresh. No lease, no compare-and-swap:
 * read the refresh token, call Intuit, overwrite the row. Run as several processes against the
 * emulator and MariaDB (mysql2 directly); the chaos checks must catch it.
 * Env: NAIVE_EMULATOR_URL, NAIVE_DB_URL, NAIVE_CLIENT_ID, NAIVE_CLIENT_SECRET, NAIVE_CONCURRENCY, NAIVE_DURATION_MS.
 */
import mysql from 'mysql2/promise';

async function main(): Promise<void> {
  const env = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is required`);
    return v;
  };
  const tokenUrl = `${env('NAIVE_EMULATOR_URL')}/oauth2/v1/tokens/bearer`;
  const basic = Buffer.from(`${env('NAIVE_CLIENT_ID')}:${env('NAIVE_CLIENT_SECRET')}`).toString('base64');
  const pool = mysql.createPool({ uri: env('NAIVE_DB_URL'), connectionLimit: 4 });
  const until = Date.now() + Number(env('NAIVE_DURATION_MS'));
  const [rows] = await pool.query('SELECT realm_id FROM naive_tokens');
  const realms = (rows as Array<{ realm_id: string }>).map((r) => r.realm_id);
  let refreshes = 0;
  const worker = async () => {
    while (Date.now() < until) {
      const realmId = realms[Math.floor(Math.random() * realms.length)];
      const [found] = await pool.execute('SELECT refresh_token FROM naive_tokens WHERE realm_id = ? AND status = ?', [realmId, 'active']);
      const row = (found as Array<{ refresh_token: string }>)[0];
      if (!row) continue;
      const res = await fetch(tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: row.refresh_token }),
      }).catch(() => null);
      if (!res) continue;
      const body = (await res.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; error?: string };
      if (res.ok && body.refresh_token) {
        refreshes += 1;
        // Unconditional: whoever writes last wins, even with an older token.
        await pool.execute('UPDATE naive_tokens SET refresh_token = ?, access_token = ? WHERE realm_id = ?', [
          body.refresh_token,
          body.access_token ?? '',
          realmId,
        ]);
      } else if (body.error === 'invalid_grant') {
        await pool.execute('UPDATE naive_tokens SET status = ? WHERE realm_id = ?', ['needs_reauth', realmId]);
      }
    }
  };
  await Promise.all(Array.from({ length: Number(process.env.NAIVE_CONCURRENCY ?? 4) }, worker));
  await pool.end();
  process.send?.({ refreshes });
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`naive refresher failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
