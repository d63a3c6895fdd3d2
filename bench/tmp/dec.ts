import { randomBytes, createDecipheriv, createSecretKey } from 'node:crypto';
import { TokenCipher } from '@quickbooks-auth/nestjs/utils/crypto/token-cipher';
import { KeyRing } from '@quickbooks-auth/nestjs/utils/crypto/key-ring';
const ring = (KeyRing as any).parse(`k1:${randomBytes(32).toString('base64')}`);
const c = new TokenCipher(ring);
const ctx = { tenantId: 'bench-cold', realmId: '9130355377123456', field: 'access_token' };
const tok = randomBytes(700).toString('base64url');
const enc = c.encrypt(tok, ctx);
const rt = c.encrypt('AB11' + randomBytes(30).toString('hex'), { ...ctx, field: 'refresh_token' });
console.log(enc.length, rt.length);
const N = 200000;
for (let r = 0; r < 3; r++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) c.decrypt(enc, ctx);
  const a = Number(process.hrtime.bigint() - t) / N / 1000;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) c.decrypt(rt, { ...ctx, field: 'refresh_token' });
  const b = Number(process.hrtime.bigint() - t) / N / 1000;
  const key = ring.find('k1'); const ko = createSecretKey(key);
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) createDecipheriv('aes-256-gcm', key, randomBytes(12), { authTagLength: 16 });
  const d = Number(process.hrtime.bigint() - t) / N / 1000;
  t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) createDecipheriv('aes-256-gcm', ko, randomBytes(12), { authTagLength: 16 });
  const e = Number(process.hrtime.bigint() - t) / N / 1000;
  console.log(`access ${a.toFixed(2)} µs refresh ${b.toFixed(2)} µs createDecipheriv(buf) ${d.toFixed(2)} (keyobj) ${e.toFixed(2)}`);
}
