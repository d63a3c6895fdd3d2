// docs/deployment.md: composing the QuickBooks indicator into the host's own readiness endpoint.
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { QuickBooksHealthIndicator } from '@quickbooks-auth/nestjs';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly quickbooks: QuickBooksHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    // 503 when the token store is unreachable (2 s ping timeout) or the refresh scheduler stalled.
    return this.health.check([() => this.quickbooks.isHealthy('quickbooks')]);
  }
}
