import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from '../runtime/example-runtime';

/** Stops the in-process emulator with the app, after the module's own shutdown work. */
@Injectable()
export class DemoEmulatorLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EXAMPLE_RUNTIME) private readonly runtime: ExampleRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.demo?.emulator.close();
  }
}
