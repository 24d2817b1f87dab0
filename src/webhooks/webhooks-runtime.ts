import type { SecretSeal } from '../auth/secret-seal.ts';
import type { WebhookConfig } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logging/logger.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { systemResolveAll, type ResolveAll } from './endpoint-address.ts';
import { WebhookEndpoints } from './webhook-endpoints.ts';

export interface Webhooks {
  /** The tenants' endpoints and deliveries (GraphQL). */
  readonly endpoints: WebhookEndpoints;
  /** Resolves once the delivery worker runs (or failed to start: then it logs and retries nothing). */
  readonly started: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The webhooks of one app: the endpoints' API and the delivery worker, started at once. Secrets are
 * sealed with `seal` (the service's seal key: see sessionCredentialSeal).
 */
export function startWebhooks(deps: {
  db: Pick<Database, 'prisma' | 'pool' | 'schema'>;
  seal: SecretSeal;
  config: WebhookConfig;
  logger: Logger;
  resolveAll?: ResolveAll | undefined;
}): Webhooks {
  const resolveAll = deps.resolveAll ?? systemResolveAll;
  const endpoints = new WebhookEndpoints(deps.db.prisma, deps.seal, { allowPrivateNetworks: deps.config.allowPrivateNetworks, resolveAll });
  const worker = new DeliveryWorker({ ...deps, resolveAll });
  const started = worker.start().catch((error: unknown) => deps.logger.error({ err: error }, 'the webhook delivery worker did not start'));
  return {
    endpoints,
    started,
    async stop() {
      await started;
      await worker.stop();
    },
  };
}
