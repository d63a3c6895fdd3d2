import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/file/file-token-storage';
import { FilePaths } from '@quickbooks-auth/nestjs/auth/storage/file/file-paths';
import { DecryptionError, StorageError, KeyRing, TokenCipher } from '@quickbooks-auth/nestjs';
import { makeCipher, newConnection } from '../support/storage-fixtures';

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    out.push(p);
    if (entry.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

describe('FileTokenStorage (backend specifics)', () => {
  const { cipher, spec } = makeCipher();
  let dir: string;
  let storage: FileTokenStorage;
  let paths: FilePaths;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qb-file-storage-'));
    storage = new FileTokenStorage({ directory: join(dir, 'store') }, cipher);
    paths = new FilePaths(resolve(dir, 'store'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes 0600 files in 0700 directories, encrypted whole, and leaves no temp or lock files', async () => {
    const ref = { tenantId: 't1', realmId: 'r1' };
    await storage.saveConnection(newConnection('t1', 'r1', { accessToken: 'AT-PLAIN', refreshToken: 'RT-PLAIN' }));
    for (let i = 0; i < 5; i++) {
      const leased = await storage.acquireLease(ref, 'w', 10_000);
      const lease = { owner: 'w', generation: leased!.leaseGeneration };
      expect(
        await storage.beginCall(ref, lease, { fingerprint: leased!.refreshTokenFingerprint, callBudgetMs: 5_000, ttlMs: 10_000 }),
      ).toBe(true);
      expect(
        await storage.compareAndSwapTokens(ref, leased!.refreshTokenFingerprint, { ...newConnection('t1', 'r1') }, lease),
      ).not.toBeNull();
    }
    const entries = await walk(join(dir, 'store'));
    const files = entries.filter((p) => p.endsWith('.conn'));
    expect(files).toHaveLength(1);
    expect(entries.filter((p) => /\.tmp-|\.lock/.test(p))).toEqual([]);
    expect((await stat(files[0])).mode & 0o777).toBe(0o600);
    for (const d of [join(dir, 'store'), paths.tenantsDir, paths.tenantDir('t1')]) expect((await stat(d)).mode & 0o777).toBe(0o700);
    const raw = await readFile(files[0], 'utf8');
    expect(raw).not.toMatch(/AT-PLAIN|RT-PLAIN|leaseOwner|leaseGeneration|inflight|refreshTokenFingerprint/);
    expect(JSON.parse(raw)).toMatchObject({ format: 'quickbooks-auth/connection-file', tenantId: 't1', realmId: 'r1' });
  });

  it('path-traversal and odd ids map to hashed names inside the directory', async () => {
    const nasty = ['../../etc/passwd', '/abs', 'a/b', '..', 'x'.repeat(128), 'ünïcødé ✓'];
    for (const id of nasty) await storage.saveConnection(newConnection(id, id.slice(0, 64)));
    const entries = await walk(join(dir, 'store'));
    expect(entries.every((p) => p.startsWith(join(dir, 'store')))).toBe(true);
    expect(entries.every((p) => /^[0-9a-f]{64}(\.conn)?$|^tenants$/.test(p.split('/').pop()!))).toBe(true);
    for (const id of nasty) expect((await storage.get({ tenantId: id, realmId: id.slice(0, 64) }))?.tenantId).toBe(id);
    expect(await readdir(dir)).toEqual(['store']);
  });

  it('a corrupt file is a StorageError naming the file, and does not block other tenants', async () => {
    await storage.saveConnection(newConnection('t1', 'r1'));
    await storage.saveConnection(newConnection('t2', 'r1', { nextRefreshAt: new Date(Date.now() - 1000) }));
    const file = paths.connectionFile({ tenantId: 't1', realmId: 'r1' });
    await writeFile(file, '{"format":"quickbooks-auth/connection-file", garbage');
    const err = await storage.get({ tenantId: 't1', realmId: 'r1' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toContain(paths.display(file));
    expect((err as Error).message).not.toContain('garbage');
    expect((await storage.claimDue(new Date(), 10, 'w', 10_000)).map((c) => c.tenantId)).toEqual(['t2']);
    expect((await storage.stats(new Date(), 0)).byStatus.active).toBe(1);
  });

  it('a foreign JSON file is refused as not ours', async () => {
    await storage.saveConnection(newConnection('t1', 'r1'));
    await writeFile(paths.connectionFile({ tenantId: 't1', realmId: 'r1' }), JSON.stringify({ hello: 'world' }));
    await expect(storage.get({ tenantId: 't1', realmId: 'r1' })).rejects.toThrow(/not a quickbooks-auth connection file/);
  });

  it('a file copied to another connection is refused (envelope ids), and a doctored envelope fails decryption (I6, I7)', async () => {
    await storage.saveConnection(newConnection('a', 'r1'));
    await storage.saveConnection(newConnection('b', 'r1'));
    const a = paths.connectionFile({ tenantId: 'a', realmId: 'r1' });
    const b = paths.connectionFile({ tenantId: 'b', realmId: 'r1' });
    await copyFile(a, b);
    await expect(storage.get({ tenantId: 'b', realmId: 'r1' })).rejects.toThrow(/belongs to another connection/);
    const doctored = JSON.parse(await readFile(a, 'utf8'));
    doctored.tenantId = 'b';
    await writeFile(b, JSON.stringify(doctored));
    const err = await storage.get({ tenantId: 'b', realmId: 'r1' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DecryptionError);
    expect((err as Error).message).toContain(paths.display(b));
  });

  it('a file under a key that is not in the ring fails with DecryptionError', async () => {
    await storage.saveConnection(newConnection('t1', 'r1'));
    const stranger = new FileTokenStorage({ directory: join(dir, 'store') }, makeCipher(['other']).cipher);
    await expect(stranger.get({ tenantId: 't1', realmId: 'r1' })).rejects.toBeInstanceOf(DecryptionError);
  });

  it('takes over a stale lock left by a dead process', async () => {
    const ref = { tenantId: 't1', realmId: 'r1' };
    await storage.saveConnection(newConnection('t1', 'r1'));
    const lock = paths.lockFile(paths.connectionFile(ref));
    await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), token: 'x', expiresAt: Date.now() + 60_000 }));
    expect(await storage.acquireLease(ref, 'w', 1000)).not.toBeNull();
    await expect(stat(lock)).rejects.toThrow();
  });

  it('waits for a live lock and times out with a typed error', async () => {
    const ref = { tenantId: 't1', realmId: 'r1' };
    await storage.saveConnection(newConnection('t1', 'r1'));
    const lock = paths.lockFile(paths.connectionFile(ref));
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), token: 'x', expiresAt: Date.now() + 60_000 }));
    const impatient = new FileTokenStorage({ directory: join(dir, 'store'), lockTimeoutMs: 100 }, cipher);
    await expect(impatient.acquireLease(ref, 'w', 1000)).rejects.toThrow(/Timed out waiting for the write lock/);
  });

  it('50 concurrent in-process acquireLease calls: exactly one winner', async () => {
    const ref = { tenantId: 't1', realmId: 'r1' };
    await storage.saveConnection(newConnection('t1', 'r1'));
    const other = new FileTokenStorage({ directory: join(dir, 'store') }, cipher); // second instance: only the file lock protects
    const wins = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? other : storage).acquireLease(ref, `w${i}`, 30_000)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it('two child processes hammering one connection never corrupt it or double-grant a lease', async () => {
    const ref = { tenantId: 'tenant-hammer', realmId: 'realm-1' };
    await storage.saveConnection(newConnection(ref.tenantId, ref.realmId));
    const rounds = 60;
    const run = (name: string) =>
      new Promise<{ leases: number; swaps: number; failures: number; lostWrites: number; staleWins: number; error?: string }>(
        (resolvePromise, reject) => {
          const child = fork(join(__dirname, 'hammer.worker.ts'), [join(dir, 'store'), name, String(rounds)], {
            execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
            env: { ...process.env, QB_TEST_KEYS: spec, TS_NODE_PROJECT: resolve(__dirname, '../../../tsconfig.json') },
          });
          child.once('message', (m) => resolvePromise(m as never));
          child.once('error', reject);
          child.once('exit', (code) => code !== 0 && reject(new Error(`worker ${name} exited ${code}`)));
        },
      );
    const [a, b] = await Promise.all([run('A'), run('B')]);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    // Under its own lease every beginCall, swap and failure of a worker wins; a stale lease never does.
    expect(a.lostWrites + b.lostWrites).toBe(0);
    expect(a.staleWins + b.staleWins).toBe(0);
    const leases = a.leases + b.leases;
    expect(a.swaps + b.swaps + a.failures + b.failures).toBe(leases);
    expect(a.swaps + b.swaps).toBeGreaterThan(0);
    const final = await storage.get(ref);
    expect(final!.refreshToken).toMatch(/^rt-[AB]-\d+$/);
    expect(final).toMatchObject({ leaseOwner: null, inflight: null });
    // saveConnection (1) + per lease: acquire, beginCall, then swap or failure (3): every write counted once.
    expect(final!.version).toBe(1 + 3 * leases);
    // Every acquisition bumped the generation exactly once, on top of saveConnection's.
    expect(final!.leaseGeneration).toBe(1 + leases);
    const leftovers = (await walk(join(dir, 'store'))).filter((p) => /\.tmp-|\.lock/.test(p));
    expect(leftovers).toEqual([]);
  }, 60_000);

  it('reencrypt rewrites the file under the newest key and keeps the fingerprint', async () => {
    const { spec: oldSpec, cipher: oldCipher } = makeCipher(['old']);
    const old = new FileTokenStorage({ directory: join(dir, 'store') }, oldCipher);
    const saved = await old.saveConnection(newConnection('t', 'r', { refreshToken: 'RT1' }));
    const rotated = new FileTokenStorage(
      { directory: join(dir, 'store') },
      new TokenCipher(KeyRing.parse(`new:${randomBytes(32).toString('base64')},${oldSpec}`)),
    );
    expect(await rotated.reencrypt({ tenantId: 't', realmId: 'r' })).toBe(true);
    expect(await rotated.reencrypt({ tenantId: 't', realmId: 'r' })).toBe(false);
    expect(JSON.parse(await readFile(paths.connectionFile({ tenantId: 't', realmId: 'r' }), 'utf8')).ciphertext).toMatch(/^v1:new:/);
    const after = await rotated.get({ tenantId: 't', realmId: 'r' });
    expect(after!.refreshToken).toBe('RT1');
    expect(after!.refreshTokenFingerprint).toBe(saved.refreshTokenFingerprint);
  });

  it('ignores stray temp files left by a crash', async () => {
    await storage.saveConnection(newConnection('t1', 'r1'));
    const file = paths.connectionFile({ tenantId: 't1', realmId: 'r1' });
    await writeFile(`${file}.tmp-999-deadbeef`, 'half a write');
    await mkdir(join(paths.tenantsDir, 'not-a-tenant-file'), { recursive: true });
    expect(await storage.listByTenant('t1')).toHaveLength(1);
    expect((await storage.listRefs(null, 10)).refs).toEqual([{ tenantId: 't1', realmId: 'r1' }]);
  });
});
