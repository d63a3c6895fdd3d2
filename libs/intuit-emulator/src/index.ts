export { startEmulator, type RunningEmulator } from './emulator';
export { startIntuitEmulator } from './start-intuit-emulator';
export {
  DEFAULT_CONFIG,
  EMULATOR_ENVIRONMENTS,
  isEmulatorEnvironment,
  type EmulatorClient,
  type EmulatorConfig,
  type EmulatorEnvironment,
  type EmulatorOptions,
} from './config';
export {
  EmulatorState,
  DEFAULT_SCOPE,
  type MintRequest,
  type MintedConnection,
  type RealmSummary,
  type AutoApproveSetting,
} from './emulator-state';
export { EmulatorClock } from './clock';
export {
  FaultRegistry,
  FAULT_ENDPOINTS,
  FAULT_TYPES,
  type FaultRule,
  type FaultRuleInput,
  type FaultEndpoint,
  type FaultType,
} from './faults';
export { EmulatorStats, type StatsSnapshot } from './stats';
export { TokenStore, type Grant, type TokenFate } from './token-store';
export { EmulatorTokenIssuer, type TokenResponse, type OAuthErrorBody } from './emulator-token-issuer';
export { TokenService } from './deprecated-token-service';
export { discoveryDocument } from './routes/discovery';
export { KNOWN_SCOPES } from './routes/authorize';
