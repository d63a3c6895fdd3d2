export * from './file-token-storage';
