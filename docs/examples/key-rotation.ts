// docs/security.md: re-encrypting from your own job runner instead of `quickbooks-auth reencrypt`.
import { Injectable, Logger } from '@nestjs/common';
import { KeyRotationService } from '@quickbooks-auth/nestjs';

@Injectable()
export class ReencryptJob {
  private readonly logger = new Logger(ReencryptJob.name);

  constructor(private readonly rotation: KeyRotationService) {}

  async run(): Promise<boolean> {
    const report = await this.rotation.reencryptAll({ batchSize: 500 });
    this.logger.log(`scanned ${report.scanned}, re-encrypted ${report.reencrypted}, failed ${report.failed}`);
    // Drop the old key only after a run with failed === 0.
    return report.failed === 0;
  }
}
