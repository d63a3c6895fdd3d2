// docs/monitoring.md: the indicator next to the host's own checks (the lines shown there are marked).
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { QuickBooksHealthIndicator } from '@quickbooks-auth/nestjs';

@Controller()
export class MonitoringHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly quickbooks: QuickBooksHealthIndicator,
  ) {}

// --- shown in docs/monitoring.md ---
@Get('health') @HealthCheck()
check() { return this.health.check([() => this.db.pingCheck('db'), () => this.quickbooks.isHealthy('quickbooks')]); }
// ---
}
