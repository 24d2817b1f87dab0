import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { PubSubConfig } from '../config/config.ts';
import type { ProcessingRecord, UploadRecord } from '../domain/upload-record.ts';

/** An UploadRecord as it crosses the pub/sub transport (JSON: dates as ISO strings). */
export type UploadSnapshot = Omit<
  UploadRecord,
  'expireTime' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'resumableUntil' | 'deletedAt' | 'processing'
> & {
  readonly processing: Omit<ProcessingRecord, 'startedAt' | 'finishedAt'> & { readonly startedAt: string | null; readonly finishedAt: string | null };
  readonly deletedAt: string | null;
  readonly expireTime: string | null;
  readonly resumableUntil: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
};

/** Topics are keyed by `tenantId:uploadId`, so a tenant can only ever hear its own uploads. */
export type UploadEvents = {
  uploadProgress: [topicKey: string, snapshot: UploadSnapshot];
  uploadCancel: [topicKey: string, request: { readonly requestedAt: string }];
};

export type UploadPubSub = PubSub<UploadEvents>;

export interface UploadEventBus {
  readonly pubsub: UploadPubSub;
  close(): Promise<void>;
}

export function topicKey(tenantId: string, uploadId: string): string {
  return `${tenantId}:${uploadId}`;
}

/** In-process by default; with Redis, every instance sharing it hears every event. */
export function createUploadEventBus(config: PubSubConfig): UploadEventBus {
  if (config.mode === 'memory') return { pubsub: createPubSub<UploadEvents>(), close: () => Promise.resolve() };
  const publishClient = new Redis(config.url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(config.url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<UploadEvents>({ eventTarget }),
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
      await Promise.resolve();
    },
  };
}

/** Tells the upload's subscribers (on every instance) its current state. */
export function publishSnapshot(pubsub: UploadPubSub, record: UploadRecord): void {
  pubsub.publish('uploadProgress', topicKey(record.tenantId, record.id), toSnapshot(record));
}

export function toSnapshot(record: UploadRecord): UploadSnapshot {
  return {
    ...record,
    expireTime: record.expireTime?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
    resumableUntil: record.resumableUntil?.toISOString() ?? null,
    deletedAt: record.deletedAt?.toISOString() ?? null,
    processing: {
      ...record.processing,
      startedAt: record.processing.startedAt?.toISOString() ?? null,
      finishedAt: record.processing.finishedAt?.toISOString() ?? null,
    },
  };
}

export function fromSnapshot(snapshot: UploadSnapshot): UploadRecord {
  return {
    ...snapshot,
    expireTime: snapshot.expireTime === null ? null : new Date(snapshot.expireTime),
    createdAt: new Date(snapshot.createdAt),
    updatedAt: new Date(snapshot.updatedAt),
    finishedAt: snapshot.finishedAt === null ? null : new Date(snapshot.finishedAt),
    resumableUntil: snapshot.resumableUntil === null ? null : new Date(snapshot.resumableUntil),
    deletedAt: dateOrNull(snapshot.deletedAt),
    processing: {
      ...snapshot.processing,
      startedAt: dateOrNull(snapshot.processing.startedAt),
      finishedAt: dateOrNull(snapshot.processing.finishedAt),
    },
  };
}

function dateOrNull(iso: string | null): Date | null {
  return iso === null ? null : new Date(iso);
}
