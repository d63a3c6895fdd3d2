// Two projects: unit specs live beside their sources; integration suites live under test/
// and talk to the real MariaDB, Redis and the emulator over HTTP.
const moduleNameMapper = {
  '^@quickbooks-auth/nestjs(|/.*)$': '<rootDir>/libs/quickbooks-auth/src$1',
  '^@quickbooks-auth/intuit-emulator(|/.*)$': '<rootDir>/libs/intuit-emulator/src$1',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  // jose ships ES modules only. Node >= 20.19 require()s them natively, Jest's module loader does
  // not (before Node 24.9): compile just that package to CommonJS for the tests.
  '^.+/node_modules/jose/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2023', isolatedModules: true } },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];

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
      transformIgnorePatterns,
      moduleNameMapper,
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      roots: ['<rootDir>/test/'],
      testRegex: '.*\\.(e2e|int)-spec\\.ts$',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      setupFiles: ['<rootDir>/test/setup/env.ts'],
    },
  ],
};
