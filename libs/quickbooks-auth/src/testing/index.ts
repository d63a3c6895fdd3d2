/**
 * For your test suites, never for production code: a Nest testing module wired to an in-process
 * emulator with a connected realm, and the storage conformance suite for custom `TokenStorage`
 * authors. Needs `@nestjs/testing` and `@quickbooks-auth/intuit-emulator` (optional peers).
 *
 * @module @quickbooks-auth/nestjs/testing
 */
export { createQuickBooksTestingModule, type QuickBooksTesting, type QuickBooksTestingOptions } from './quickbooks-testing-module';
export { RecordingLogger } from './recording-logger';
export {
  describeTokenStorageConformance,
  cipherFor,
  newKeySpec,
  type ConformanceFactory,
  type ConformanceHarness,
  type ConformanceOptions,
  type ConformanceRawAccess,
  type TokenColumn,
} from './conformance/token-storage.conformance';
