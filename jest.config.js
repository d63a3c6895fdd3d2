// Two projects: unit specs live beside their sources; integration suites live under test/
// and talk to the real MariaDB, Redis and the emulator over HTTP.
const moduleNameMapper = {
  '^@quickbooks-auth/nestjs(|/.*)$': '<rootDir>/libs/quickbooks-auth/src$1',
  '^@quickbooks-auth/intuit-emulator(|/.*)$': '<rootDir>/libs/intuit-emulator/src$1',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] };

module.exports = {
  // Global only: jest ignores testTimeout inside a project. Integration suites do real I/O.
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      roots: ['<rootDir>/libs/', '<rootDir>/apps/', '<rootDir>/bench/'],
      testRegex: '.*\\.spec\\.ts$',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      roots: ['<rootDir>/test/'],
      testRegex: '.*\\.(e2e|int)-spec\\.ts$',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      setupFiles: ['<rootDir>/test/setup/env.ts'],
    },
  ],
};
