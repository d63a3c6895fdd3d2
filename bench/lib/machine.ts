import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import mysql from 'mysql2/promise';
import Redis from 'ioredis';

/** The machine a figure was measured on: figures are only comparable on the same one. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  mariadb: string | null;
  redis: string | null;
  loadAverageAtStart: number[];
}

export async function machineInfo(): Promise<MachineInfo> {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc').toString().trim()) || nproc;
  } catch {
    // nproc missing: os.cpus() is close enough.
  }
  return {
    nproc,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    mariadb: await mariadbVersion(),
    redis: await redisVersion(),
    loadAverageAtStart: (await import('node:os')).loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

async function mariadbVersion(): Promise<string | null> {
  try {
    const conn = await mysql.createConnection({ uri: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test' });
    const [rows] = await conn.query('SELECT VERSION() AS v');
    await conn.end();
    return String((rows as Array<{ v: string }>)[0].v);
  } catch {
    return null;
  }
}

async function redisVersion(): Promise<string | null> {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? null;
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}
