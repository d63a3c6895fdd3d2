import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { CONNECTION_FILE_FIELD } from '@quickbooks-auth/nestjs/auth/storage/file/connection-file-codec';
import { FilePaths } from '@quickbooks-auth/nestjs/auth/storage/file/file-paths';
import { FileTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/file/file-token-storage';
import { cipherFor, describeTokenStorageConformance, type TokenColumn } from '@quickbooks-auth/nestjs/testing';

const FIELD = { access_token: 'accessTokenEnc', refresh_token: 'refreshTokenEnc' } as const;

describeTokenStorageConformance('file', async (keysSpec) => {
  const dir = await mkdtemp(join(tmpdir(), 'qb-file-conformance-'));
  const paths = new FilePaths(dir);
  // Raw access opens the outer (whole-file) layer itself with every key the suite has handed out,
  // so it can reach and tamper with the sealed token fields inside, bypassing FileTokenStorage.
  const keys = new Map<string, string>();
  const remember = (spec: string) => {
    for (const entry of spec.split(',').reverse()) keys.set(entry.split(':')[0], entry);
  };
  remember(keysSpec);
  const rawCipher = () => cipherFor([...keys.values()].reverse().join(','));

  const files = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const t of await readdir(paths.tenantsDir).catch(() => [] as string[])) {
      for (const f of await readdir(join(paths.tenantsDir, t))) if (f.endsWith('.conn')) out.push(join(paths.tenantsDir, t, f));
    }
    return out;
  };
  const openFile = async (file: string) => {
    const text = await readFile(file, 'utf8');
    const envelope = JSON.parse(text);
    const ctx = { tenantId: envelope.tenantId, realmId: envelope.realmId, field: CONNECTION_FILE_FIELD };
    const doc = JSON.parse(rawCipher().decrypt(envelope.ciphertext, ctx));
    return {
      text,
      envelope,
      doc,
      save: () => writeFile(file, JSON.stringify({ ...envelope, ciphertext: rawCipher().encrypt(JSON.stringify(doc), ctx) })),
    };
  };
  const openRef = (ref: ConnectionRef) => openFile(paths.connectionFile(ref));

  return {
    storage: new FileTokenStorage({ directory: dir }, cipherFor(keysSpec)),
    raw: {
      dump: async () => {
        const values: string[] = [];
        for (const file of await files()) {
          const { text, envelope, doc } = await openFile(file);
          values.push(text, envelope.ciphertext);
          for (const v of Object.values(doc)) if (v !== null) values.push(typeof v === 'string' ? v : JSON.stringify(v));
        }
        return values;
      },
      tamper: async (ref, field: TokenColumn, mutate) => {
        const f = await openRef(ref);
        f.doc[FIELD[field]] = mutate(f.doc[FIELD[field]]);
        await f.save();
      },
      copyField: async (from, to, field: TokenColumn) => {
        const source = await openRef(from);
        const target = await openRef(to);
        target.doc[FIELD[field]] = source.doc[FIELD[field]];
        await target.save();
      },
      swapFields: async (ref) => {
        const f = await openRef(ref);
        [f.doc.accessTokenEnc, f.doc.refreshTokenEnc] = [f.doc.refreshTokenEnc, f.doc.accessTokenEnc];
        await f.save();
      },
    },
    reopenWithKeys: async (spec) => {
      remember(spec);
      return new FileTokenStorage({ directory: dir }, cipherFor(spec));
    },
    cleanup: async () => rm(dir, { recursive: true, force: true }),
  };
});
