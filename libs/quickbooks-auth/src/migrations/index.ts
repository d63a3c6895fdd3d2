export * from './migration-sets';
export * from './run-migrations';
export { QUICKBOOKS_AUTH_ENTITIES } from '../auth/storage/typeorm/quickbooks-auth.entities';
