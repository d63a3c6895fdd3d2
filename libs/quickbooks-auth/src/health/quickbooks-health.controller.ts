import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { QuickBooksHealthIndicator } from './quickbooks.health';

/**
 * Opt-in `GET /health/quickbooks` (`registerHealthController: true`): 200 when the service can
 * work, 503 when not, so it can serve as a Kubernetes readiness probe. Hosts with their own
 * `/health` compose `QuickBooksHealthIndicator` instead.
 * @publicApi
 */
@Controller('health')
export class QuickBooksHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly quickbooks: QuickBooksHealthIndicator,
  ) {}

  /** `GET /health/quickbooks`: the indicator's verdict, 503 when it is down. */
  @Get('quickbooks')
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.quickbooks.isHealthy('quickbooks')]);
  }
}
