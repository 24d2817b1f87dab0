import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { Database } from './database.ts';
import { EffectFreeEventStatement } from './effect-free-event-statement.ts';
import { fileIdLockKey } from './file-id-lock.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import { eventTypeName, parseVodEvent, type VodEvent } from '../events/vod-event.ts';
import { enqueueWebhookDeliveries } from '../webhooks/outbox.ts';
import type { WebhookEventType } from '../webhooks/event-types.ts';

type Tx = Prisma.TransactionClient;

/** What recording one event did. */
export interface RecordedEvent {
  /** Seen before (a redelivery or a duplicate): nothing changed. */
  readonly duplicate: boolean;
  /** Uploads whose record changed (their subscribers want a snapshot). */
  readonly changed: readonly UploadKey[];
  /** A direct upload this event completed (its NewFileUpload named the record in its SourceContext). */
  readonly completedDirect?: UploadKey | undefined;
}

/** Which direct upload a SourceContext names, when the service wrote it (see src/direct/direct-context.ts). */
export type DirectUploadLink = (sourceContext: string) => UploadKey | undefined;

/**
 * Applies VOD's events to the uploads, exactly once in effect: each event is inserted under its
 * content key and applied in the same transaction only when the insert is new, so an event
 * delivered twice (or again after a crash between the commit and ConfirmEvents) changes nothing.
 * Every change only moves forward (processing never goes back from a final state, a deletion stays),
 * whatever order the events come in. Transactions on one FileId take its advisory lock, so an event
 * and the upload learning its FileId (markSucceeded) never miss each other.
 */
export class VodEventStore {
  private readonly prisma: PrismaClient;
  readonly #effectFree: EffectFreeEventStatement;

  constructor(
    db: Pick<Database, 'prisma' | 'pool' | 'schema'>,
    /** Ties a NewFileUpload to the direct upload its SourceContext names (only the service can write one). */
    private readonly directLink?: DirectUploadLink,
  ) {
    this.prisma = db.prisma;
    this.#effectFree = new EffectFreeEventStatement(db.pool, db.schema);
  }

  async record(event: VodEvent, subAppId: number | undefined): Promise<RecordedEvent> {
    // The common event changes no upload: recorded (and linked) in one round trip.
    if (this.#changesNoUpload(event)) return { duplicate: !(await this.#effectFree.record(event, subAppId)), changed: [] };
    return this.prisma.$transaction(async (tx) => {
      const fileIds = fileIdsOf(event);
      await lockFileIds(tx, fileIds);
      const inserted = await tx.vodEvent.createMany({
        data: [
          {
            dedupeKey: event.dedupeKey,
            eventType: eventTypeName(event),
            fileId: fileIds[0] ?? null,
            subAppId: subAppId ?? null,
            payload: event.payload as Prisma.InputJsonValue,
          },
        ],
        skipDuplicates: true,
      });
      if (inserted.count === 0) return { duplicate: true, changed: [] };
      const completed = await completeDirectUpload(tx, event, this.directLink);
      if (completed !== undefined) return { duplicate: false, changed: [completed], completedDirect: completed };
      const changed = await applyToUploads(tx, event);
      const owner = await tx.upload.findFirst({ where: { fileId: { in: fileIds } }, select: { tenantId: true, id: true } });
      if (owner !== null) {
        await tx.vodEvent.update({ where: { dedupeKey: event.dedupeKey }, data: { appliedAt: new Date(), tenantId: owner.tenantId, uploadId: owner.id } });
      }
      return { duplicate: false, changed };
    });
  }

  /** A NewFileUpload with no task flow that completes no direct upload: applyToUploads does nothing with it. */
  #changesNoUpload(event: VodEvent): event is VodEvent & { type: 'NewFileUpload' } {
    if (event.type !== 'NewFileUpload' || event.procedureTaskId !== undefined) return false;
    return event.sourceContext === undefined || this.directLink === undefined || this.directLink(event.sourceContext) === undefined;
  }
}

/**
 * VOD's word that a direct upload arrived: a NewFileUpload whose SourceContext names a PENDING
 * direct record (the name is HMAC'd by the service, so a client cannot point it elsewhere). The
 * record takes the FileId and URLs and becomes SUCCEEDED; then every event of the FileId (this one
 * included) is applied, as for an upload that has just learned its FileId.
 */
async function completeDirectUpload(tx: Tx, event: VodEvent, directLink: DirectUploadLink | undefined): Promise<UploadKey | undefined> {
  if (event.type !== 'NewFileUpload' || event.sourceContext === undefined || directLink === undefined) return undefined;
  if ((await tx.upload.count({ where: { fileId: event.fileId } })) > 0) return undefined;
  const key = directLink(event.sourceContext);
  if (key === undefined) return undefined;
  const now = new Date();
  const { count } = await tx.upload.updateMany({
    where: { tenantId: key.tenantId, id: key.id, source: 'DIRECT', status: 'PENDING' },
    data: {
      status: 'SUCCEEDED',
      fileId: event.fileId,
      mediaUrl: event.media.url ?? null,
      coverUrl: event.media.coverUrl ?? null,
      ...(event.media.type === undefined ? {} : { mediaType: event.media.type }),
      finishedAt: now,
    },
  });
  if (count !== 1) return undefined;
  await afterSucceeded(tx, key, event.fileId);
  return key;
}

/** Serialises the transactions that touch these FileIds (events, and an upload recording its FileId). */
export async function lockFileIds(tx: Tx, fileIds: readonly string[]): Promise<void> {
  for (const fileId of [...fileIds].sort()) {
    await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${fileIdLockKey(fileId)}, 0))::text AS locked`;
  }
}

/**
 * An upload has just become SUCCEEDED with its FileId (in `tx`, which holds the FileId's lock), through
 * the service or a direct upload's event: QUEUED when a task flow was asked for, its upload.succeeded
 * webhooks, then the events of that FileId that arrived before it, in the order they were received.
 */
export async function afterSucceeded(tx: Tx, key: UploadKey, fileId: string): Promise<void> {
  await tx.upload.updateMany({ where: { ...key, procedure: { not: null }, processingStatus: 'NONE' }, data: { processingStatus: 'QUEUED' } });
  await enqueueWebhookDeliveries(tx, { tenantId: key.tenantId, uploadId: key.id, type: 'UPLOAD_SUCCEEDED' });
  await applyEarlierEvents(tx, key, fileId);
}

async function applyEarlierEvents(tx: Tx, key: UploadKey, fileId: string): Promise<void> {
  const waiting = await tx.vodEvent.findMany({ where: { fileId, appliedAt: null }, orderBy: { receivedAt: 'asc' } });
  if (waiting.length === 0) return;
  for (const row of waiting) {
    await applyToUploads(tx, parseVodEvent(row.payload));
    await tx.vodEvent.update({ where: { dedupeKey: row.dedupeKey }, data: { appliedAt: new Date(), tenantId: key.tenantId, uploadId: key.id } });
  }
}

function fileIdsOf(event: VodEvent): string[] {
  switch (event.type) {
    case 'NewFileUpload':
    case 'ProcedureStateChanged':
      return [event.fileId];
    case 'FileDeleted':
      return [...event.fileIds];
    case 'Other':
      return [];
  }
}

const FINAL: Array<'SUCCEEDED' | 'FAILED'> = ['SUCCEEDED', 'FAILED'];

/** The event's effect on the uploads with its FileId(s); returns those it changed. */
async function applyToUploads(tx: Tx, event: VodEvent): Promise<UploadKey[]> {
  const fileIds = fileIdsOf(event);
  if (fileIds.length === 0) return [];
  const now = new Date();
  let count = 0;
  if (event.type === 'NewFileUpload' || (event.type === 'ProcedureStateChanged' && event.outcome.state === 'PROCESSING')) {
    const taskId = event.type === 'NewFileUpload' ? event.procedureTaskId : event.taskId;
    if (taskId === undefined) return [];
    ({ count } = await tx.upload.updateMany({
      where: { fileId: { in: fileIds }, processingStatus: { in: ['NONE', 'QUEUED'] } },
      data: { processingStatus: 'PROCESSING', processingTaskId: taskId, processingStartedAt: now },
    }));
  } else if (event.type === 'ProcedureStateChanged' && event.outcome.state !== 'PROCESSING') {
    const { outcome } = event;
    const failed = outcome.state === 'FAILED';
    const where = {
      fileId: { in: fileIds },
      processingStatus: { notIn: FINAL },
      OR: [{ processingTaskId: null }, { processingTaskId: event.taskId }],
    };
    const started = await tx.upload.updateMany({ where: { ...where, processingStartedAt: null }, data: { processingStartedAt: now } });
    ({ count } = await tx.upload.updateMany({
      where,
      data: {
        processingStatus: outcome.state,
        processingTaskId: event.taskId,
        processingErrorCode: failed ? outcome.code : null,
        processingErrorMessage: failed ? outcome.message : null,
        processingOutputs: outcome.outputs as unknown as Prisma.InputJsonValue,
        processingFinishedAt: now,
      },
    }));
    count = Math.max(count, started.count);
  } else if (event.type === 'FileDeleted') {
    ({ count } = await tx.upload.updateMany({ where: { fileId: { in: fileIds }, deletedAt: null }, data: { deletedAt: now } }));
  }
  if (count === 0) return [];
  const changed = await tx.upload.findMany({ where: { fileId: { in: fileIds } }, select: { tenantId: true, id: true } });
  const webhook = webhookEventOf(event);
  if (webhook !== undefined) {
    for (const key of changed) await enqueueWebhookDeliveries(tx, { tenantId: key.tenantId, uploadId: key.id, type: webhook });
  }
  return changed;
}

/** What the customer's webhooks hear of an applied event: processing outcomes and deletions. */
function webhookEventOf(event: VodEvent): WebhookEventType | undefined {
  if (event.type === 'FileDeleted') return 'MEDIA_DELETED';
  if (event.type !== 'ProcedureStateChanged') return undefined;
  if (event.outcome.state === 'SUCCEEDED') return 'PROCESSING_SUCCEEDED';
  if (event.outcome.state === 'FAILED') return 'PROCESSING_FAILED';
  return undefined;
}
