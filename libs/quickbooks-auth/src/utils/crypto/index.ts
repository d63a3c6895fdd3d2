export * from './key-ring';
export * from './token-cipher';
export * from './constant-time-equal';
