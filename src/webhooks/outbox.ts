import { randomUUID } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client.ts';
import { toUploadRecord, UPLOAD_RECORD_INCLUDE } from '../db/upload-repository.ts';
import { addDeliveryJobs } from './delivery-queue.ts';
import { WEBHOOK_EVENT_WIRE_NAMES, type WebhookEventType } from './event-types.ts';
import { uploadPayload } from './upload-payload.ts';
import type { UploadRecord } from '../domain/upload-record.ts';

export interface WebhookEvent {
  readonly tenantId: string;
  readonly uploadId: string;
  readonly type: WebhookEventType;
}

/** The body every attempt of a delivery sends: Standard Webhooks' `{type, timestamp, data}`. */
export interface WebhookBody {
  readonly type: string;
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

/**
 * The transactional outbox. Inserts, in the caller's transaction, one delivery per enabled endpoint
 * of the tenant subscribed to `type`, with its first attempt's queue job; `data` is the upload record
 * as the API shows it, read inside `tx` (so it is the state this transaction commits). Returns how
 * many deliveries were inserted. Nothing is sent before the transaction commits, and nothing of a
 * transaction that rolls back.
 */
export async function enqueueWebhookDeliveries(tx: Prisma.TransactionClient, event: WebhookEvent): Promise<number> {
  const endpoints = await tx.webhookEndpoint.findMany({
    where: { tenantId: event.tenantId, enabled: true, events: { has: event.type } },
    select: { id: true },
  });
  if (endpoints.length === 0) return 0;
  const row = await tx.upload.findUnique({ where: { tenantId_id: { tenantId: event.tenantId, id: event.uploadId } }, include: UPLOAD_RECORD_INCLUDE });
  if (row === null) throw new Error(`enqueueWebhookDeliveries: no upload ${event.uploadId} for the tenant`);
  const body = webhookBody(event.type, toUploadRecord(row));
  const deliveries = await tx.webhookDelivery.createManyAndReturn({
    data: endpoints.map((endpoint) => ({
      endpointId: endpoint.id,
      tenantId: event.tenantId,
      uploadId: event.uploadId,
      eventType: event.type,
      messageId: newMessageId(),
      payload: body as unknown as Prisma.InputJsonValue,
    })),
    select: { id: true },
  });
  await addDeliveryJobs(tx, deliveries.map((delivery) => ({ deliveryId: delivery.id, attempt: 1 })));
  return deliveries.length;
}

/** What every attempt of a delivery of `type` about the upload sends (the record as this transaction commits it). */
export function webhookBody(type: WebhookEventType, record: UploadRecord): WebhookBody {
  return { type: WEBHOOK_EVENT_WIRE_NAMES[type], timestamp: new Date().toISOString(), data: uploadPayload(record) };
}

/** A delivery's `webhook-id`, the same for all its attempts (receivers dedupe on it). */
export function newMessageId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}
