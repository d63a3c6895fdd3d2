// Defaults for the integration suites: the local servers every machine here runs.
process.env.DATABASE_URL ??= 'mysql://root@127.0.0.1:3306/test';
process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
