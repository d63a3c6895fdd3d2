import { describeTokenLifecycle } from './token-lifecycle.suite';

describeTokenLifecycle('memory storage', async () => ({ storage: { type: 'memory' }, cleanup: async () => undefined }));
