import { EmulatorTokenIssuer } from './emulator-token-issuer';

/**
 * @deprecated Renamed {@link EmulatorTokenIssuer}: `TokenService` clashed with the library's own
 * `TokenService` (`@quickbooks-auth/nestjs`). This alias will be removed in the next major version.
 */
export const TokenService = EmulatorTokenIssuer;
/** @deprecated Renamed {@link EmulatorTokenIssuer}; see the value of the same name. */
export type TokenService = EmulatorTokenIssuer;
