export * from './redis-token-storage';
