import { VodError } from '../../errors/vod-error.ts';
import { isUuid } from '../../db/upload-repository.ts';
import { fromSnapshot, topicKey } from '../../uploads/upload-events.ts';
import { TERMINAL_STATUSES, type UploadRecord } from '../../domain/upload-record.ts';
import { builder } from '../builder.ts';
import type { GraphQLContext } from '../context.ts';
import { MediaUploadRef } from './media-upload.ts';

builder.subscriptionType({
  fields: (t) => ({
    uploadProgress: t.field({
      type: MediaUploadRef,
      description:
        'Snapshots of an upload while it runs (1-10 per second), ending after a terminal status. Works when subscribed before the upload starts (with a client-chosen id).',
      args: { id: t.arg.id({ required: true }) },
      subscribe: (_root, { id }, context) => progressOf(context, id),
      resolve: (record) => record,
    }),
  }),
});

async function* progressOf(context: GraphQLContext, id: string): AsyncGenerator<UploadRecord> {
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
      if (TERMINAL_STATUSES.has(current.status)) return;
    }
    for (let next = await first; next.done !== true; next = await events.next()) {
      const record = fromSnapshot(next.value);
      if (last !== undefined && isStale(record, last)) continue;
      last = record;
      yield record;
      if (TERMINAL_STATUSES.has(record.status)) return;
    }
  } finally {
    await events.return?.();
  }
}

/** A live event older than what was already shown (bytes never go backwards within a status). */
function isStale(record: UploadRecord, last: UploadRecord): boolean {
  return (
    record.status === last.status &&
    (record.bytesReceived < last.bytesReceived || record.bytesUploaded < last.bytesUploaded)
  );
}
