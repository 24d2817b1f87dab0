import PgBoss from 'pg-boss';
import type pg from 'pg';
import type { Prisma } from '../generated/prisma/client.ts';

/**
 * The delivery jobs live in pg-boss (chosen over graphile-worker by bench/webhook-queue-choice.ts:
 * pg-boss runs on the embedded PGlite through its socket, graphile-worker hangs there). One job is
 * one attempt of one delivery; it is added in the transaction that makes the attempt due (the state
 * change, the previous attempt's record, a redelivery), so a committed delivery always has its job
 * and a rolled-back one never does.
 */
export const DELIVERY_QUEUE = 'webhook-delivery';

/** One attempt of one delivery. A job whose attempt is no longer the next one is stale and skipped. */
export interface DeliveryJob {
  readonly deliveryId: string;
  readonly attempt: number;
}

/**
 * A job still active this long is taken to be lost with its process and runs again: longer than the
 * longest attempt WEBHOOK_TIMEOUT_MS allows (5 min). Such a rerun can send a webhook twice, which
 * the at-least-once contract (receivers dedupe on webhook-id) allows.
 */
const JOB_EXPIRE_SECONDS = 6 * 60;
/** A job whose handler failed (the database, not the receiver: those are recorded attempts) runs again. */
const JOB_RETRY_LIMIT = 5;
const JOB_RETRY_DELAY_SECONDS = 10;

/**
 * The pg-boss schema that belongs to an application schema (one queue per schema, as tests need).
 * pg-boss takes letters, digits and underscores only: anything else becomes `_` (as the migration
 * that records the name does in SQL).
 */
export function deliveryQueueSchemaFor(appSchema: string): string {
  return `${appSchema.replace(/[^A-Za-z0-9_]/g, '_')}_pgboss`;
}

/** pg-boss over the service's pg pool (on PGlite, the one serialised connection). */
export function createBoss(pool: pg.Pool, appSchema: string, options: { supervise: boolean }): PgBoss {
  return new PgBoss({
    db: { executeSql: (text, values) => pool.query(text, values) },
    schema: deliveryQueueSchemaFor(appSchema),
    supervise: options.supervise,
    schedule: false,
  });
}

/** Creates (or migrates) the queue's schema and the delivery queue; idempotent, safe from several processes. */
export async function installDeliveryQueue(pool: pg.Pool, appSchema: string): Promise<void> {
  const boss = createBoss(pool, appSchema, { supervise: false });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    await boss.createQueue(DELIVERY_QUEUE, {
      name: DELIVERY_QUEUE,
      expireInSeconds: JOB_EXPIRE_SECONDS,
      retryLimit: JOB_RETRY_LIMIT,
      retryDelay: JOB_RETRY_DELAY_SECONDS,
    });
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/** pg-boss instances that only build and run a job insert through a caller's transaction, by schema. */
const jobWriters = new Map<string, PgBoss>();

/**
 * Adds the job in the caller's transaction (pg-boss's `send` with a `db` of the transaction), to run
 * at `startAfter` (now when absent). The schema comes from the transaction's own database
 * (`webhook_queue`, written by the migration), so callers need not know it.
 */
export async function addDeliveryJob(tx: Prisma.TransactionClient, job: DeliveryJob, startAfter?: Date): Promise<void> {
  await addDeliveryJobs(tx, [job], startAfter);
}

/** addDeliveryJob for several jobs: the queue's schema is read once. */
export async function addDeliveryJobs(tx: Prisma.TransactionClient, jobs: readonly DeliveryJob[], startAfter?: Date): Promise<void> {
  if (jobs.length === 0) return;
  const { pgbossSchema } = await tx.webhookQueue.findUniqueOrThrow({ where: { id: 1 } });
  await addDeliveryJobsThrough((text, values) => runInTransaction(tx, text, values), pgbossSchema, jobs, startAfter);
}

/** Runs one statement of a job insert in the caller's transaction. */
export type JobStatementRunner = (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>;

/**
 * The delivery jobs inserted through `run` (a statement in the caller's transaction, whatever client
 * holds it) into the queue in `pgbossSchema` (the `webhook_queue` row's).
 */
export async function addDeliveryJobsThrough(run: JobStatementRunner, pgbossSchema: string, jobs: readonly DeliveryJob[], startAfter?: Date): Promise<void> {
  let writer = jobWriters.get(pgbossSchema);
  if (writer === undefined) {
    writer = new PgBoss({ db: { executeSql: () => Promise.reject(new Error('only for job inserts in a transaction')) }, schema: pgbossSchema });
    jobWriters.set(pgbossSchema, writer);
  }
  for (const job of jobs) {
    const id = await writer.send(DELIVERY_QUEUE, { deliveryId: job.deliveryId, attempt: job.attempt }, {
      ...(startAfter === undefined ? {} : { startAfter }),
      db: { executeSql: run },
    });
    if (id === null) throw new Error(`pg-boss did not add the delivery job (is the queue ${DELIVERY_QUEUE} installed in ${pgbossSchema}?)`);
  }
}

async function runInTransaction(tx: Prisma.TransactionClient, text: string, values: unknown[]): Promise<{ rows: unknown[] }> {
  // pg-boss hands values as the pg driver takes them; Prisma wants JSON (the job data) as text.
  const params = values.map((value) => (value !== null && typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value));
  return { rows: await tx.$queryRawUnsafe<unknown[]>(text, ...params) };
}
