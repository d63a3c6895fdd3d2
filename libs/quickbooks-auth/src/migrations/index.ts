export * from './migration-sets';
export * from './run-migrations';
