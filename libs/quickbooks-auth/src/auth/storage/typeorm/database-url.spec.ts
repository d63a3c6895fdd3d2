import { parseDatabaseUrl } from './database-url';

describe('parseDatabaseUrl', () => {
  it('maps each scheme to its driver and the scheme that driver expects', () => {
    expect(parseDatabaseUrl('mysql://u:p@h:3306/db', 'x')).toEqual({ driver: 'mysql', url: 'mysql://u:p@h:3306/db' });
    expect(parseDatabaseUrl('mariadb://u@h/db', 'x')).toEqual({ driver: 'mysql', url: 'mysql://u@h/db' });
    expect(parseDatabaseUrl('postgres://u:p@h:5432/db', 'x')).toEqual({ driver: 'postgres', url: 'postgres://u:p@h:5432/db' });
    expect(parseDatabaseUrl('postgresql://u@h/db?sslmode=require', 'x')).toEqual({
      driver: 'postgres',
      url: 'postgres://u@h/db?sslmode=require',
    });
  });

  it('names the source and never echoes the URL or its password', () => {
    const problems = ['postgres://u:hunter2@h:5432', 'postgres://u:hunter2@h:5432/', 'redis://u:hunter2@h/0', 'not a url hunter2'].map(
      (raw) => {
        const parsed = parseDatabaseUrl(raw, '--url');
        return 'problem' in parsed ? parsed.problem : '';
      },
    );
    expect(problems[0]).toBe('--url must name a database: postgres://user:password@host:5432/<database>');
    expect(problems[1]).toBe(problems[0]);
    expect(problems[2]).toBe('--url must be a mysql://, mariadb://, postgres:// or postgresql:// URL');
    expect(problems[3]).toMatch(/^--url is not a valid URL/);
    for (const p of problems) expect(p).not.toContain('hunter2');
  });
});
