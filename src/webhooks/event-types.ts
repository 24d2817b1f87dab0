import type { WebhookEventType } from '../generated/prisma/client.ts';

export type { WebhookEventType };

/** The GraphQL/database names of the events, and their names on the wire (the body's `type`). */
export const WEBHOOK_EVENT_WIRE_NAMES: Readonly<Record<WebhookEventType, string>> = {
  UPLOAD_SUCCEEDED: 'upload.succeeded',
  UPLOAD_FAILED: 'upload.failed',
  UPLOAD_CANCELED: 'upload.canceled',
  UPLOAD_PAUSED: 'upload.paused',
  PROCESSING_SUCCEEDED: 'processing.succeeded',
  PROCESSING_FAILED: 'processing.failed',
  MEDIA_DELETED: 'media.deleted',
};

export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENT_WIRE_NAMES) as WebhookEventType[];

export const DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;
