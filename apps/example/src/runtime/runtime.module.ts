import { Global, Module, type DynamicModule } from '@nestjs/common';
import { EXAMPLE_RUNTIME, type ExampleRuntime } from './example-runtime';

/** Makes the ExampleRuntime injectable everywhere. */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(runtime: ExampleRuntime): DynamicModule {
    return { module: RuntimeModule, providers: [{ provide: EXAMPLE_RUNTIME, useValue: runtime }], exports: [EXAMPLE_RUNTIME] };
  }
}
