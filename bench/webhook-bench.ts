/**
 * Webhooks against the real server process (BENCH_SKIP_WEBHOOKS=1 skips it), delivered to a receiver
 * on 127.0.0.1 that verifies every request with standardwebhooks:
 *   latency: uploads through the API, each announcing upload.succeeded to one endpoint; the time from
 *     the state change (the body's `timestamp`, taken inside the transaction that writes the delivery)
 *     to the receiver's arrival, p50/p99. Both clocks are this machine's. Target (DESIGN.md): p99 ≤ 1 s.
 *   throughput: STATE_CHANGES state changes, each committed in its own transaction
 *     (enqueueWebhookDeliveries, as the server's own state changes call it) for a tenant with ENDPOINTS
 *     endpoints: 1000 deliveries. The server is stopped (SIGSTOP) while they are committed, so the
 *     figure is the queue's and the worker's, not this process's commit rate: deliveries per second
 *     from SIGCONT to the last receipt, and per webhook-id how many 2xx answers (none lost, none
 *     doubled). Target: ≥ 200/s.
 *
 * Alone: `npm run build && tsx bench/webhook-bench.ts`.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/logging/logger.ts';
import { enqueueWebhookDeliveries } from '../src/webhooks/outbox.ts';
import type { WebhookEventType } from '../src/webhooks/event-types.ts';
import { sendMediaUpload } from '../test/support/multipart.ts';
import { WebhookReceiver } from '../test/support/webhook-receiver.ts';
import { startService, type RunningService } from './service.ts';

export interface WebhookBenchResults {
  readonly deliveries: number;
  /** Distinct webhook-ids answered 2xx; lost = expected ones never answered 2xx, doubled = answered 2xx more than once. */
  readonly delivered: number;
  readonly lost: number;
  readonly doubled: number;
  /** Deliveries per second, from the server resuming with all of them queued to the last receipt. */
  readonly perSecond: number;
  /** Seconds this process took to commit the state changes (the server stopped meanwhile). */
  readonly enqueueSeconds: number;
  readonly latencyUploads: number;
  /** State change → receipt for uploads through the API, seconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What the server needs to deliver to a receiver on loopback. */
export const WEBHOOK_BENCH_SERVER_ENV: Readonly<Record<string, string>> = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on' };

const ENDPOINTS = 10;
const STATE_CHANGES = 100;
const LATENCY_UPLOADS = 40;
const IN_FLIGHT = 4;
const COMMITS_IN_FLIGHT = 8;

const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`;

/** `service` must run with WEBHOOK_BENCH_SERVER_ENV. */
export async function runWebhookBench(service: RunningService): Promise<WebhookBenchResults> {
  const receiver = await WebhookReceiver.start();
  const db = await openDatabase({ mode: 'postgres', url: service.databaseBase, schema: service.schema }, createLogger('silent'));
  try {
    const latency = await measureLatency(service, receiver);
    const throughput = await measureThroughput(service, receiver, db);
    return { ...throughput, ...latency };
  } finally {
    await db.close();
    await receiver.close();
  }
}

async function createEndpoint(service: RunningService, receiver: WebhookReceiver, path: string, events: WebhookEventType[]): Promise<void> {
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${service.key}` },
    body: JSON.stringify({ query: CREATE, variables: { input: { url: `${receiver.url}${path}`, events } } }),
  });
  const body = (await response.json()) as { data?: { createWebhookEndpoint?: { secret: string } }; errors?: unknown };
  const secret = body.data?.createWebhookEndpoint?.secret;
  if (secret === undefined) throw new Error(`webhook bench: createWebhookEndpoint failed: ${JSON.stringify(body.errors)}`);
  receiver.secrets.push(secret);
}

async function measureLatency(service: RunningService, receiver: WebhookReceiver): Promise<Pick<WebhookBenchResults, 'latencyUploads' | 'p50' | 'p99' | 'max'>> {
  await createEndpoint(service, receiver, '/latency', ['UPLOAD_SUCCEEDED']);
  const ids: string[] = [];
  const queue = Array.from({ length: LATENCY_UPLOADS }, (_, index) => index);
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const id = randomUUID();
      const { answer } = sendMediaUpload({ url: service.url, key: service.key, filename: `hook-${next}.mp4`, content: Buffer.alloc(64 * 1024, next), input: { id } });
      const result = await answer;
      if (result.body.errors !== undefined) throw new Error(`webhook bench upload failed: ${JSON.stringify(result.body.errors).slice(0, 300)}`);
      ids.push(id);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const arrivals = () => receiver.received.filter((entry) => entry.body.type === 'upload.succeeded' && entry.verifiedWith.length > 0);
  await receiver.until(() => ids.every((id) => arrivals().some((entry) => entry.body.data['id'] === id)), 60_000);
  const latencies = sorted(arrivals().map((entry) => (entry.receivedAt - Date.parse(entry.body.timestamp)) / 1000));
  return { latencyUploads: ids.length, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1)! };
}

async function measureThroughput(
  service: RunningService,
  receiver: WebhookReceiver,
  db: Awaited<ReturnType<typeof openDatabase>>,
): Promise<Omit<WebhookBenchResults, 'latencyUploads' | 'p50' | 'p99' | 'max'>> {
  for (let index = 0; index < ENDPOINTS; index += 1) await createEndpoint(service, receiver, `/burst-${index}`, ['UPLOAD_FAILED']);
  const { tenantId } = await db.prisma.webhookEndpoint.findFirstOrThrow();
  const uploadIds = Array.from({ length: STATE_CHANGES }, () => randomUUID());
  await db.prisma.upload.createMany({
    data: uploadIds.map((id) => ({ tenantId, id, region: 'ap-guangzhou', mediaName: 'burst', mediaType: 'mp4', status: 'UPLOADING' as const })),
  });

  const enqueueStarted = Date.now();
  const queue = [...uploadIds];
  const committer = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const uploadId = id;
      await db.prisma.$transaction(async (tx) => {
        await tx.upload.update({ where: { tenantId_id: { tenantId, id: uploadId } }, data: { status: 'FAILED', finishedAt: new Date() } });
        await enqueueWebhookDeliveries(tx, { tenantId, uploadId, type: 'UPLOAD_FAILED' });
      });
    }
  };
  process.kill(service.serverPid, 'SIGSTOP');
  let started: number;
  try {
    await Promise.all(Array.from({ length: COMMITS_IN_FLIGHT }, committer));
  } finally {
    started = Date.now();
    process.kill(service.serverPid, 'SIGCONT');
  }
  const enqueueSeconds = (started - enqueueStarted) / 1000;

  const expected = new Set((await db.prisma.webhookDelivery.findMany({ where: { eventType: 'UPLOAD_FAILED' }, select: { messageId: true } })).map((row) => row.messageId));
  const burst = () => receiver.received.filter((entry) => entry.body.type === 'upload.failed' && entry.verifiedWith.length > 0);
  await receiver.until(() => new Set(burst().map((entry) => entry.id)).size >= expected.size, 120_000);
  const lastReceipt = Math.max(...burst().map((entry) => entry.receivedAt));
  // Every attempt recorded before counting, so a second request for one webhook-id would have been seen.
  await until(async () => (await db.prisma.webhookDelivery.count({ where: { eventType: 'UPLOAD_FAILED', status: 'PENDING' } })) === 0);

  const successes = receiver.successesById();
  const lost = [...expected].filter((id) => !successes.has(id)).length;
  const doubled = [...expected].filter((id) => (successes.get(id) ?? 0) > 1).length;
  return {
    deliveries: expected.size,
    delivered: [...expected].filter((id) => successes.has(id)).length,
    lost,
    doubled,
    perSecond: expected.size / ((lastReceipt - started) / 1000),
    enqueueSeconds,
  };
}

async function until(condition: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('webhook bench: the deliveries did not settle');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function sorted(values: number[]): number[] {
  return values.sort((a, b) => a - b);
}

function percentile(values: readonly number[], share: number): number {
  return values[Math.min(values.length - 1, Math.ceil(share * values.length) - 1)] ?? Number.NaN;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const service = await startService({ partBytes: 8 * 1024 * 1024, concurrency: 4, serverEnv: WEBHOOK_BENCH_SERVER_ENV });
  try {
    const results = await runWebhookBench(service);
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } finally {
    await service.close();
  }
}
