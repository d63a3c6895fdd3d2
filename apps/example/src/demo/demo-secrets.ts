import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Secrets the demo generates once and reuses, so a restart can still decrypt stored tokens. */
export interface DemoSecrets {
  version: 1;
  /** Key ring in QB_ENCRYPTION_KEYS format. */
  encryptionKeys: string;
  stateSecret: string;
  cookieSecret: string;
  /** Client secret of the demo app registered at the in-process emulator. */
  clientSecret: string;
  apiKey: string;
  createdAt: string;
}

const FILE_NAME = 'demo-secrets.json';

function generate(): DemoSecrets {
  const token = (bytes: number) => randomBytes(bytes).toString('base64url');
  return {
    version: 1,
    encryptionKeys: `demo1:${randomBytes(32).toString('base64')}`,
    stateSecret: token(32),
    cookieSecret: token(32),
    clientSecret: token(24),
    apiKey: `demo_${token(18)}`,
    createdAt: new Date().toISOString(),
  };
}

function isDemoSecrets(value: unknown): value is DemoSecrets {
  const v = value as Partial<DemoSecrets> | null;
  return (
    !!v &&
    v.version === 1 &&
    [v.encryptionKeys, v.stateSecret, v.cookieSecret, v.clientSecret, v.apiKey].every((s) => typeof s === 'string' && s.length > 0)
  );
}

/**
 * Loads `<dataDir>/demo-secrets.json`, creating it (mode 0600, directory 0700) on first start.
 * Written via a temp file and rename so a crash never leaves half a key ring behind.
 */
export function loadOrCreateDemoSecrets(dataDir: string): { secrets: DemoSecrets; path: string; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, FILE_NAME);
  if (existsSync(path)) {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isDemoSecrets(parsed))
      throw new Error(`${path} is not a valid demo secrets file; delete it (and the demo database) to start over`);
    return { secrets: parsed, path, created: false };
  }
  const secrets = generate();
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return { secrets, path, created: true };
}
