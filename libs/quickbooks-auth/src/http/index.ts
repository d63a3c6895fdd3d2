export { QuickBooksAuthExceptionFilter } from './quickbooks-auth-exception.filter';
export { quickBooksErrorResponse, DEFAULT_RETRY_AFTER_SECONDS, type QuickBooksErrorResponse } from './quickbooks-error-response';
