// @quickbooks-auth/nestjs/testing: for your test suites, never for production code. Needs
// @nestjs/testing and @quickbooks-auth/intuit-emulator (optional peers of the package).
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
