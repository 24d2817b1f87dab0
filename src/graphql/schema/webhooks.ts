import { VodError } from '../../errors/vod-error.ts';
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES } from '../../webhooks/event-types.ts';
import { encodeDeliveryCursor, type DeliveryPage, type DeliveryRecord, type EndpointRecord } from '../../webhooks/webhook-endpoints.ts';
import { builder } from '../builder.ts';

const WebhookEventTypeEnum = builder.enumType('WebhookEventType', {
  description: 'On the wire: upload.succeeded, upload.failed, upload.canceled, upload.paused, processing.succeeded, processing.failed, media.deleted.',
  values: WEBHOOK_EVENT_TYPES,
});
const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  description: 'FAILED: every retry spent (or the endpoint was disabled).',
  values: DELIVERY_STATUSES,
});

const WebhookEndpointRef = builder.objectRef<EndpointRecord>('WebhookEndpoint').implement({
  description: 'A receiver of signed webhooks (Standard Webhooks). Its secret is shown only by createWebhookEndpoint and rotateWebhookSecret.',
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    events: t.field({ type: [WebhookEventTypeEnum], resolve: (endpoint) => endpoint.events }),
    enabled: t.exposeBoolean('enabled', { description: 'False when disabled by you or by a 410 Gone answer.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (endpoint) => endpoint.createdAt }),
  }),
});

const CreatedWebhookEndpointRef = builder.objectRef<{ endpoint: EndpointRecord; secret: string }>('CreatedWebhookEndpoint').implement({
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, resolve: (created) => created.endpoint }),
    secret: t.exposeString('secret', { description: 'The signing secret ("whsec_..."), shown this once.' }),
  }),
});

const WebhookDeliveryRef = builder.objectRef<DeliveryRecord>('WebhookDelivery').implement({
  description: 'One event for one endpoint, and how its attempts went.',
  fields: (t) => ({
    id: t.exposeID('id'),
    endpointId: t.exposeID('endpointId'),
    eventType: t.field({ type: WebhookEventTypeEnum, resolve: (delivery) => delivery.eventType }),
    uploadId: t.exposeID('uploadId', { nullable: true }),
    status: t.field({ type: DeliveryStatusEnum, resolve: (delivery) => delivery.status }),
    attempts: t.exposeInt('attempts'),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'A short text: the error, or the start of an error answer.' }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (delivery) => delivery.nextAttemptAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (delivery) => delivery.createdAt }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (delivery) => delivery.deliveredAt }),
  }),
});

const WebhookDeliveryEdgeRef = builder.objectRef<DeliveryRecord>('WebhookDeliveryEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: encodeDeliveryCursor }),
    node: t.field({ type: WebhookDeliveryRef, resolve: (delivery) => delivery }),
  }),
});

const WebhookDeliveryPageInfoRef = builder.objectRef<DeliveryPage>('WebhookDeliveryPageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.string({
      nullable: true,
      resolve: (page) => {
        const last = page.records.at(-1);
        return last === undefined ? null : encodeDeliveryCursor(last);
      },
    }),
  }),
});

const WebhookDeliveryConnectionRef = builder.objectRef<DeliveryPage>('WebhookDeliveryConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [WebhookDeliveryEdgeRef], resolve: (page) => [...page.records] }),
    pageInfo: t.field({ type: WebhookDeliveryPageInfoRef, resolve: (page) => page }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({ required: true, description: 'https:// (http:// only for an allowed private address).' }),
    events: t.field({ type: [WebhookEventTypeEnum], required: true }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    url: t.string({ required: false }),
    events: t.field({ type: [WebhookEventTypeEnum], required: false }),
    enabled: t.boolean({ required: false }),
  }),
});

const MAX_PAGE_SIZE = 100;

builder.queryFields((t) => ({
  webhookEndpoints: t.field({
    type: [WebhookEndpointRef],
    description: 'Your webhook endpoints, oldest first.',
    resolve: (_root, _args, context) => context.webhooks.list(context.tenantId),
  }),
  webhookDeliveries: t.field({
    type: WebhookDeliveryConnectionRef,
    description: 'Your webhook deliveries, newest first (Relay-style cursor pagination).',
    args: {
      endpointId: t.arg.id({ required: false }),
      status: t.arg({ type: DeliveryStatusEnum, required: false }),
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false }),
    },
    resolve: (_root, args, context) => {
      const first = args.first ?? 20;
      if (first < 0 || first > MAX_PAGE_SIZE) throw new VodError('InvalidParameter', `"first" must be between 0 and ${MAX_PAGE_SIZE}.`);
      return context.webhooks.deliveries(context.tenantId, {
        endpointId: args.endpointId ?? undefined,
        status: args.status ?? undefined,
        first,
        after: args.after ?? undefined,
      });
    },
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: CreatedWebhookEndpointRef,
    description: 'A new endpoint; its signing secret is in the answer, and only there.',
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, context) => context.webhooks.create(context.tenantId, input),
  }),
  updateWebhookEndpoint: t.field({
    type: WebhookEndpointRef,
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, context) => context.webhooks.update(context.tenantId, input),
  }),
  deleteWebhookEndpoint: t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.webhooks.delete(context.tenantId, id),
  }),
  rotateWebhookSecret: t.field({
    type: CreatedWebhookEndpointRef,
    description: 'A new signing secret; the previous one keeps signing beside it for 24 hours.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, context) => context.webhooks.rotate(context.tenantId, id),
  }),
  redeliverWebhook: t.field({
    type: WebhookDeliveryRef,
    description: 'Sends the delivery once more, with the same webhook-id.',
    args: { deliveryId: t.arg.id({ required: true }) },
    resolve: (_root, { deliveryId }, context) => context.webhooks.redeliver(context.tenantId, deliveryId),
  }),
}));
