/**
 * The library's declarations compile with `skipLibCheck: false` in a host that installed only the
 * required peers: nothing the `.` entry reaches may import an optional peer (ioredis, the event
 * emitter) or a package that is no peer at all (pino-http, nestjs-pino). The host's node_modules
 * holds exactly the package's dependencies and required peers (read from its package.json),
 * typescript and @types/node; the library is built into it as `npm run build:lib` builds it.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildLibraryInto, createHostSandbox, REPO_ROOT, type HostSandbox } from '../support/host-sandbox';

const run = promisify(execFile);

/** A host using every part of the public surface that touches an optional or foreign package's types. */
const HOST_TS = `
import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import {
  QuickBooksApiClient,
  QuickBooksAuthExceptionFilter,
  QuickBooksAuthModule,
  TokenService,
  quickBooksPinoHttpOptions,
  type RedisStorageOptions,
  type StorageOptions,
} from '@quickbooks-auth/nestjs';

const storage: StorageOptions = { type: 'typeorm', url: 'mysql://app@127.0.0.1:3306/app' };
const redis: RedisStorageOptions = { type: 'redis', url: 'redis://127.0.0.1:6379' };
const pinoHttp = quickBooksPinoHttpOptions({ level: 'info' });
const level: unknown = pinoHttp.level;

@Module({
  imports: [QuickBooksAuthModule.forRoot({ clientId: 'id', clientSecret: 'secret', redirectUri: 'https://app.example.com/cb', stateSecret: 's', encryptionKeys: 'k', storage })],
  providers: [{ provide: APP_FILTER, useClass: QuickBooksAuthExceptionFilter }],
})
export class AppModule {
  constructor(readonly tokens: TokenService, readonly api: QuickBooksApiClient) {}
}
export const used = [redis, level];
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2023',
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    types: ['node'],
  },
  files: ['host.ts'],
};

function requiredPackages(): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'libs/quickbooks-auth/package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => !manifest.peerDependenciesMeta?.[name]?.optional);
  return [...Object.keys(manifest.dependencies ?? {}), ...peers, 'typescript', '@types/node'];
}

describe('typings in a host with only the required peers (skipLibCheck: false)', () => {
  let sandbox: HostSandbox;
  beforeAll(() => {
    const packages = requiredPackages();
    expect(packages).not.toContain('ioredis');
    sandbox = createHostSandbox(packages);
    buildLibraryInto(sandbox);
    writeFileSync(join(sandbox.dir, 'host.ts'), HOST_TS);
    writeFileSync(join(sandbox.dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  }, 120_000);
  afterAll(() => sandbox?.remove());

  it('compiles without TS2307 (or any other error)', async () => {
    const tsc = join(sandbox.nodeModules, 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: sandbox.dir, timeout: 120_000 }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(result).toBe('');
  });
});
