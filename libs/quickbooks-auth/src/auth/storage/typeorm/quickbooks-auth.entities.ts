import { QuickBooksConnectionEntity } from './quickbooks-connection.entity';

/** Every entity the module needs; add these to the host's DataSource `entities`. */
export const QUICKBOOKS_AUTH_ENTITIES = [QuickBooksConnectionEntity] as const;
