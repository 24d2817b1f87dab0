import type PgBoss from 'pg-boss';
import type { SecretSeal } from '../auth/secret-seal.ts';
import type { WebhookConfig } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logging/logger.ts';
import { checkEndpoint, parseEndpointUrl, systemResolveAll, type ResolveAll } from './endpoint-address.ts';
import { addDeliveryJob, createBoss, DELIVERY_QUEUE, type DeliveryJob } from './delivery-queue.ts';
import { signedHeaders } from './delivery-signature.ts';
import { retryDelayMs } from './retry-schedule.ts';
import { openSigningSecret } from './signing-secret.ts';
import { WebhookSender, type AttemptOutcome } from './webhook-sender.ts';

export interface DeliveryWorkerDependencies {
  readonly db: Pick<Database, 'prisma' | 'pool' | 'schema'>;
  readonly seal: SecretSeal;
  readonly config: WebhookConfig;
  readonly logger: Logger;
  /** Name resolution for the delivery-time address check (tests inject a stub). */
  readonly resolveAll?: ResolveAll;
}

/**
 * Pollers per process, and jobs each takes at once: a slow receiver holds one batch, not the queue.
 * A poller whose batch ends within the polling interval waits out the rest of it, so a process sends
 * at most POLLERS × BATCH_SIZE per interval: 25 capped it at 200/s (bench (l) measured 162/s draining
 * 1000 queued deliveries), 50 lifts the cap to 400/s (bench (l): 264, 160 and 190/s on two shared
 * cores at load 3-4.6, where CPU, not the queue, sets the pace).
 */
const POLLERS = 4;
const BATCH_SIZE = 50;
const POLLING_INTERVAL_SECONDS = 0.5;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Runs the delivery jobs of pg-boss: one attempt per job, recorded with its outcome in one
 * transaction that also adds the next attempt's job (WEBHOOK_RETRY_DELAYS, with jitter) when one is
 * due. Only a 2xx answer delivers; a 410 disables the endpoint; after the last retry the delivery is
 * FAILED. The endpoint's address is checked again before every attempt (DNS can change) and the
 * connection goes only to the checked addresses.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDependencies;
  readonly #prisma: PrismaClient;
  readonly #sender = new WebhookSender();
  #boss: PgBoss | undefined;

  constructor(deps: DeliveryWorkerDependencies) {
    this.#deps = deps;
    this.#prisma = deps.db.prisma;
  }

  async start(): Promise<void> {
    const boss = createBoss(this.#deps.db.pool, this.#deps.db.schema, { supervise: true });
    boss.on('error', (error) => this.#deps.logger.warn({ err: error }, 'webhook queue error'));
    await boss.start();
    this.#boss = boss;
    for (let poller = 0; poller < POLLERS; poller += 1) {
      await boss.work<DeliveryJob>(DELIVERY_QUEUE, { batchSize: BATCH_SIZE, pollingIntervalSeconds: POLLING_INTERVAL_SECONDS }, async (jobs) => {
        // Every attempt of the batch at once; a failure of one (the database) fails its batch, which pg-boss retries.
        const results = await Promise.allSettled(jobs.map((job) => this.attempt(job.data)));
        const failed = results.find((result) => result.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      });
    }
  }

  async stop(): Promise<void> {
    const boss = this.#boss;
    this.#boss = undefined;
    if (boss !== undefined) await boss.stop({ graceful: true, wait: true, timeout: STOP_TIMEOUT_MS });
    this.#sender.close();
  }

  /** Makes attempt `job.attempt` of the delivery, unless that attempt was made already (a stale or repeated job). */
  async attempt(job: DeliveryJob): Promise<void> {
    const delivery = await this.#prisma.webhookDelivery.findUnique({ where: { id: job.deliveryId }, include: { endpoint: true } });
    if (delivery === null || delivery.status !== 'PENDING' || delivery.attempts !== job.attempt - 1) return;
    const { endpoint } = delivery;
    if (!endpoint.enabled) {
      await this.#prisma.webhookDelivery.updateMany({
        where: { id: delivery.id, status: 'PENDING', attempts: delivery.attempts },
        data: { status: 'FAILED', lastError: 'the endpoint is disabled', nextAttemptAt: null },
      });
      return;
    }
    const started = Date.now();
    const outcome = await this.#send(delivery.messageId, endpoint, JSON.stringify(delivery.payload));
    await this.#record({ deliveryId: delivery.id, endpointId: delivery.endpointId, attempt: job.attempt, outcome, durationMs: Date.now() - started });
  }

  async #send(
    messageId: string,
    endpoint: { id: string; url: string; secretSealed: string; previousSecretSealed: string | null; previousSecretExpiresAt: Date | null },
    body: string,
  ): Promise<AttemptOutcome> {
    const { config, seal } = this.#deps;
    let checked;
    try {
      checked = await checkEndpoint(parseEndpointUrl(endpoint.url), {
        allowPrivateNetworks: config.allowPrivateNetworks,
        resolveAll: this.#deps.resolveAll ?? systemResolveAll,
      });
    } catch (error) {
      return { kind: 'no-answer', error: `refused before connecting: ${error instanceof Error ? error.message : String(error)}` };
    }
    const now = new Date();
    const secrets = [openSigningSecret(seal, endpoint.id, endpoint.secretSealed)];
    if (endpoint.previousSecretSealed !== null && endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > now) {
      secrets.push(openSigningSecret(seal, endpoint.id, endpoint.previousSecretSealed));
    }
    return this.#sender.send({ endpoint: checked, headers: signedHeaders(messageId, secrets, body, now), body, timeoutMs: config.timeoutMs });
  }

  /** The attempt, the delivery's new state and, when a retry is due, its job: one transaction. */
  async #record(made: { deliveryId: string; endpointId: string; attempt: number; outcome: AttemptOutcome; durationMs: number }): Promise<void> {
    const { deliveryId, endpointId, attempt, outcome, durationMs } = made;
    const statusCode = outcome.kind === 'answered' ? outcome.statusCode : null;
    const delivered = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const gone = statusCode === 410;
    const delayMs = delivered || gone ? undefined : retryDelayMs(attempt, this.#deps.config.retryDelaysMs);
    const now = new Date();
    const nextAttemptAt = delayMs === undefined ? null : new Date(now.getTime() + delayMs);
    await this.#prisma.$transaction(async (tx) => {
      const recorded = await tx.webhookAttempt.createMany({
        data: [{ deliveryId, number: attempt, statusCode, error: outcome.error, durationMs, attemptedAt: now }],
        skipDuplicates: true,
      });
      if (recorded.count === 0) return;
      await tx.webhookDelivery.update({
        where: { id: deliveryId },
        data: {
          attempts: attempt,
          lastStatusCode: statusCode,
          lastError: outcome.error,
          status: delivered ? 'SUCCEEDED' : nextAttemptAt === null ? 'FAILED' : 'PENDING',
          nextAttemptAt,
          ...(delivered ? { deliveredAt: now } : {}),
        },
      });
      if (gone) await tx.webhookEndpoint.update({ where: { id: endpointId }, data: { enabled: false, disabledReason: 'the receiver answered 410 Gone' } });
      if (nextAttemptAt !== null) await addDeliveryJob(tx, { deliveryId, attempt: attempt + 1 }, nextAttemptAt);
    });
    if (!delivered) {
      this.#deps.logger.info(
        { deliveryId, endpointId, attempt, statusCode, error: outcome.error, nextAttemptAt, endpointDisabled: gone },
        'webhook attempt failed',
      );
    }
  }
}
