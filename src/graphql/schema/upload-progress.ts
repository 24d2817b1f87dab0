import { VodError } from '../../errors/vod-error.ts';
import { isUuid } from '../../db/upload-repository.ts';
import { fromSnapshot, topicKey } from '../../uploads/upload-events.ts';
import { PROCESSING_OVER, TERMINAL_STATUSES, type UploadRecord } from '../../domain/upload-record.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { MediaUploadRef } from './media-upload.ts';

builder.subscriptionType({
  fields: (t) => ({
    uploadProgress: t.field({
      type: MediaUploadRef,
      description:
        'Snapshots of an upload while it runs (1-10 per second), ending after a terminal status; with untilProcessed, a SUCCEEDED upload goes on with its processing (QUEUED, PROCESSING) and the stream ends once processing is over (or the media was deleted). Works when subscribed before the upload starts (with a client-chosen id).',
      args: {
        id: t.arg.id({ required: true }),
        untilProcessed: t.arg.boolean({ required: false, defaultValue: false, description: 'Go on after SUCCEEDED until the task flow ends.' }),
      },
      subscribe: (_root, { id, untilProcessed }, context) => progressOf(context, id, untilProcessed === true),
      resolve: (record) => record,
    }),
  }),
});

async function* progressOf(context: GraphQLContext, id: string, untilProcessed: boolean): AsyncGenerator<UploadRecord> {
  const isLast = (record: UploadRecord) => (untilProcessed ? isFinalWithProcessing(record) : TERMINAL_STATUSES.has(record.status));
  if (!isUuid(id)) throw new VodError('InvalidParameter', 'The upload id must be a UUID.');
  // Subscribe before reading the row, so nothing published in between is missed. The pub/sub's
  // Repeater only starts listening at its first next(): ask for the first event now (it is buffered).
  const events = context.pubsub.subscribe('uploadProgress', topicKey(context.tenantId, id));
  const first = events.next();
  try {
    // Only this tenant's uploads exist here: an id of another tenant waits exactly like an id not
    // used yet (the tenant may start an upload with it), so a subscription reveals nothing.
    const current = await context.uploads.find(context.tenantId, id);
    let last = current;
    if (current !== undefined) {
      yield current;
      if (isLast(current)) return;
    }
    for (let next = await first; next.done !== true; next = await events.next()) {
      const record = fromSnapshot(next.value);
      if (last !== undefined && isStale(record, last)) continue;
      last = record;
      yield record;
      if (isLast(record)) return;
    }
  } finally {
    await events.return?.();
  }
}

/** Nothing more will happen: the upload failed or was canceled, or it succeeded and its processing is over. */
function isFinalWithProcessing(record: UploadRecord): boolean {
  if (!TERMINAL_STATUSES.has(record.status)) return false;
  return record.status !== 'SUCCEEDED' || record.deletedAt !== null || PROCESSING_OVER.has(record.processing.status);
}

const PROCESSING_RANK: Readonly<Record<UploadRecord['processing']['status'], number>> = { NONE: 0, QUEUED: 1, PROCESSING: 2, SUCCEEDED: 3, FAILED: 3 };

/**
 * A live event older than what was already shown (bytes never go backwards within a status, and
 * processing never goes back after SUCCEEDED).
 */
function isStale(record: UploadRecord, last: UploadRecord): boolean {
  if (record.status !== last.status) return false;
  if (record.bytesReceived < last.bytesReceived || record.bytesUploaded < last.bytesUploaded) return true;
  return record.status === 'SUCCEEDED' && PROCESSING_RANK[record.processing.status] < PROCESSING_RANK[last.processing.status];
}
