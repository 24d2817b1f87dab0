import type { SecretSeal } from '../auth/secret-seal.ts';
import { isUuid } from '../db/upload-repository.ts';
import { VodError } from '../errors/vod-error.ts';
import type { DeliveryStatus, PrismaClient, WebhookDelivery, WebhookEndpoint } from '../generated/prisma/client.ts';
import { addDeliveryJob } from './delivery-queue.ts';
import { checkEndpoint, parseEndpointUrl, type AddressPolicy } from './endpoint-address.ts';
import type { WebhookEventType } from './event-types.ts';
import { newSigningSecret, sealSigningSecret } from './signing-secret.ts';

/** An endpoint as the API shows it: never a secret. */
export type EndpointRecord = Pick<WebhookEndpoint, 'id' | 'url' | 'events' | 'enabled' | 'createdAt'>;
export type DeliveryRecord = Omit<WebhookDelivery, 'payload' | 'tenantId' | 'messageId'>;

export interface DeliveryPage {
  readonly records: readonly DeliveryRecord[];
  readonly hasNextPage: boolean;
}

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
/** Endpoints one tenant may have. */
const MAX_ENDPOINTS_PER_TENANT = 20;

const ENDPOINT_FIELDS = { id: true, url: true, events: true, enabled: true, createdAt: true } as const;
const DELIVERY_FIELDS = {
  id: true,
  endpointId: true,
  uploadId: true,
  eventType: true,
  status: true,
  attempts: true,
  lastStatusCode: true,
  lastError: true,
  nextAttemptAt: true,
  createdAt: true,
  deliveredAt: true,
} as const;

/**
 * The tenant's webhook endpoints and deliveries. Everything is scoped to the tenant: another
 * tenant's id answers exactly like an unknown one (ResourceNotFound). URLs are checked (shape and
 * every address) on create and update; secrets are sealed and shown only by create and rotate.
 */
export class WebhookEndpoints {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly seal: SecretSeal,
    private readonly policy: AddressPolicy,
  ) {}

  list(tenantId: string): Promise<EndpointRecord[]> {
    return this.prisma.webhookEndpoint.findMany({ where: { tenantId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: ENDPOINT_FIELDS });
  }

  async create(tenantId: string, input: { url: string; events: readonly WebhookEventType[] }): Promise<{ endpoint: EndpointRecord; secret: string }> {
    const url = await this.#checkedUrl(input.url);
    const events = checkedEvents(input.events);
    if ((await this.prisma.webhookEndpoint.count({ where: { tenantId } })) >= MAX_ENDPOINTS_PER_TENANT) {
      throw new VodError('LimitExceeded', `A tenant has at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints.`);
    }
    const id = crypto.randomUUID();
    const secret = newSigningSecret();
    const endpoint = await this.prisma.webhookEndpoint.create({
      data: { id, tenantId, url, events, secretSealed: sealSigningSecret(this.seal, id, secret) },
      select: ENDPOINT_FIELDS,
    });
    return { endpoint, secret };
  }

  async update(
    tenantId: string,
    input: { id: string; url?: string | null | undefined; events?: readonly WebhookEventType[] | null | undefined; enabled?: boolean | null | undefined },
  ): Promise<EndpointRecord> {
    await this.#own(tenantId, input.id);
    const url = input.url === undefined || input.url === null ? undefined : await this.#checkedUrl(input.url);
    const events = input.events === undefined || input.events === null ? undefined : checkedEvents(input.events);
    const enabled = input.enabled ?? undefined;
    return this.prisma.webhookEndpoint.update({
      where: { id: input.id },
      data: { url, events, enabled, ...(enabled === true ? { disabledReason: null } : enabled === false ? { disabledReason: 'disabled by the tenant' } : {}) },
      select: ENDPOINT_FIELDS,
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    await this.#own(tenantId, id);
    const { count } = await this.prisma.webhookEndpoint.deleteMany({ where: { id, tenantId } });
    return count === 1;
  }

  /** A new secret; the current one becomes the previous and keeps signing beside it for 24 h. */
  async rotate(tenantId: string, id: string): Promise<{ endpoint: EndpointRecord; secret: string }> {
    const current = await this.#own(tenantId, id);
    const secret = newSigningSecret();
    const endpoint = await this.prisma.webhookEndpoint.update({
      where: { id },
      data: {
        secretSealed: sealSigningSecret(this.seal, id, secret),
        previousSecretSealed: current.secretSealed,
        previousSecretExpiresAt: new Date(Date.now() + ROTATION_OVERLAP_MS),
      },
      select: ENDPOINT_FIELDS,
    });
    return { endpoint, secret };
  }

  /** Newest first, keyset-paginated on (createdAt, id). */
  async deliveries(
    tenantId: string,
    options: { endpointId?: string | undefined; status?: DeliveryStatus | undefined; first: number; after?: string | undefined },
  ): Promise<DeliveryPage> {
    if (options.endpointId !== undefined) await this.#own(tenantId, options.endpointId);
    const cursor = options.after === undefined ? undefined : decodeDeliveryCursor(options.after);
    const rows = await this.prisma.webhookDelivery.findMany({
      where: {
        tenantId,
        ...(options.endpointId === undefined ? {} : { endpointId: options.endpointId }),
        ...(options.status === undefined ? {} : { status: options.status }),
        ...(cursor === undefined ? {} : { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: options.first + 1,
      select: DELIVERY_FIELDS,
    });
    return { records: rows.slice(0, options.first), hasNextPage: rows.length > options.first };
  }

  /** Sends the delivery once more (same webhook-id), whatever its status; one attempt, then its retries if it fails. */
  async redeliver(tenantId: string, deliveryId: string): Promise<DeliveryRecord> {
    if (!isUuid(deliveryId)) throw notFound('webhook delivery', deliveryId);
    return this.prisma.$transaction(async (tx) => {
      // Two redeliveries at once add two jobs for the same attempt: the second finds it made and is skipped.
      const delivery = await tx.webhookDelivery.findFirst({ where: { id: deliveryId, tenantId }, select: { attempts: true } });
      if (delivery === null) throw notFound('webhook delivery', deliveryId);
      const now = new Date();
      const updated = await tx.webhookDelivery.update({
        where: { id: deliveryId },
        data: { status: 'PENDING', nextAttemptAt: now },
        select: DELIVERY_FIELDS,
      });
      await addDeliveryJob(tx, { deliveryId, attempt: delivery.attempts + 1 });
      return updated;
    });
  }

  async #own(tenantId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = isUuid(id) ? await this.prisma.webhookEndpoint.findFirst({ where: { id, tenantId } }) : null;
    if (endpoint === null) throw notFound('webhook endpoint', id);
    return endpoint;
  }

  async #checkedUrl(text: string): Promise<string> {
    const { url } = await checkEndpoint(parseEndpointUrl(text), this.policy);
    return url.toString();
  }
}

function checkedEvents(events: readonly WebhookEventType[]): WebhookEventType[] {
  if (events.length === 0) throw new VodError('InvalidParameter', 'An endpoint subscribes to at least one event type.');
  return [...new Set(events)];
}

function notFound(what: string, id: string): VodError {
  return new VodError('ResourceNotFound', `No ${what} with id ${id}.`);
}

export function encodeDeliveryCursor(record: Pick<DeliveryRecord, 'createdAt' | 'id'>): string {
  return Buffer.from(`${record.createdAt.toISOString()}|${record.id}`).toString('base64url');
}

function decodeDeliveryCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (id === undefined || !isUuid(id) || Number.isNaN(createdAt.getTime())) {
    throw new VodError('InvalidParameter', 'The cursor given in "after" is not one this API returned.');
  }
  return { createdAt, id };
}
