import { randomUUID } from 'node:crypto';
import { isUuid } from '../db/upload-repository.ts';
import type { NewUploadFields } from '../db/upload-writer.ts';
import type { UploadKey } from '../domain/upload-key.ts';
import { VodError } from '../errors/vod-error.ts';
import { coverComesLate, uploadMedia, type MediaUploadFields } from '../pipeline/upload-pipeline.ts';
import { checkUploadInput, normalizeUploadRequest, type UploadRequest } from '../pipeline/upload-request.ts';
import type { UploadRecord } from '../domain/upload-record.ts';
import { arrangeSources, filesOf, type IncomingFile, type IncomingFiles } from './incoming-files.ts';
import type { PipelineRun, RunControl } from './run-control.ts';
import { MAX_BUFFERED_COVER_BYTES, mustFind, type UploadServiceDependencies } from './service-dependencies.ts';
import type { UploadRunner } from './upload-runner.ts';

export interface UploadMediaRequest extends IncomingFiles {
  readonly tenantId: string;
  /** Client-chosen UUID (idempotency key); generated when absent. */
  readonly id?: string | undefined;
  readonly fields: Omit<MediaUploadFields, 'region'> & { readonly region?: string | undefined };
  readonly mediaSize?: number | undefined;
  /** Bytes of all the request's files, estimated from its Content-Length: the total when no mediaSize is given. */
  readonly requestFileBytes?: number | undefined;
  /** Aborts when the client goes away, or with a VodError (e.g. RequestTimeout) when the server gives up on the request. */
  readonly signal: AbortSignal;
}

/**
 * uploadMedia once admitted: checks every field before a file is waited for, writes the PENDING
 * record (or answers a repeat of a finished id with its record, once its files are drained), and
 * runs the upload.
 */
export async function startNewUpload(
  request: UploadMediaRequest,
  control: RunControl,
  deps: UploadServiceDependencies,
  runner: UploadRunner,
): Promise<UploadRecord> {
  const id = request.id ?? randomUUID();
  if (!isUuid(id)) throw new VodError('InvalidParameter', 'The upload id must be a UUID.');
  // Every field is checked before a file is waited for, and before anything is written or stored.
  checkUploadInput(
    { ...request.fields, region: request.fields.region ?? deps.defaultRegion, mediaSize: request.mediaSize, segmentPaths: request.segments?.map((segment) => segment.path) },
    { maxFileBytes: deps.maxFileBytes },
  );
  const key: UploadKey = { tenantId: request.tenantId, id };
  const sources = await arrangeSources(request, {
    maxFileBytes: deps.maxFileBytes,
    maxBufferedCoverBytes: MAX_BUFFERED_COVER_BYTES,
    signal: control.controllers.sources.signal,
  });
  const given = request.fields;
  const fields = {
    ...given,
    region: given.region ?? deps.defaultRegion,
    // A cover sent first with no extension in its name: its magic bytes give the type.
    coverType: (given.coverType ?? '').trim() === '' ? (sources.coverTypeFromBytes ?? given.coverType) : given.coverType,
  };
  const late = sources.cover !== undefined && coverComesLate({ fields, cover: sources.cover });
  if (late && sources.coverFirst) {
    throw new VodError(
      'InvalidParameterValue.CoverType',
      'The cover type is unknown: the file name has no extension and the bytes are of no known image type; give coverType.',
    );
  }
  const normalized = normalizeUploadRequest({
    ...fields,
    mediaFileName: sources.media.fileName,
    coverFileName: sources.coverFileName,
    hasCover: sources.cover !== undefined && !late,
  });
  const claim = await deps.writer.claim(key, recordFields(normalized, request.mediaSize, request.requestFileBytes), deps.instanceId);
  if (claim.kind === 'succeeded-before') {
    await discardFiles(request);
    return mustFind(deps.reader, key);
  }
  const pipelineRun: PipelineRun = ({ signal, hooks }) =>
    uploadMedia(
      {
        fields,
        media: sources.media,
        cover: sources.cover,
        segments: sources.segments,
        mediaSizeHint: request.mediaSize,
        fileBytesAtMost: request.requestFileBytes,
      },
      deps.pipeline,
      { signal, hooks },
    );
  return runner.run(key, control, pipelineRun, { clientSignal: request.signal, claimed: claim.record });
}

/** What the PENDING record holds: the request as VOD will get it. */
function recordFields(request: UploadRequest, mediaSize: number | undefined, requestFileBytes: number | undefined): NewUploadFields {
  const { apply } = request;
  return {
    region: request.region,
    mediaName: apply.mediaName ?? '',
    mediaType: apply.mediaType,
    coverType: apply.coverType ?? null,
    procedure: apply.procedure ?? null,
    subAppId: apply.subAppId ?? null,
    classId: apply.classId ?? null,
    storageRegion: apply.storageRegion ?? null,
    expireTime: apply.expireTime === undefined ? null : new Date(apply.expireTime),
    sourceContext: apply.sourceContext ?? null,
    concurrency: request.concurrentUploadNumber ?? null,
    mediaSizeHint: mediaSize ?? null,
    bytesTotal: mediaSize ?? requestFileBytes ?? null,
  };
}

/**
 * A repeat of a finished upload reads (and drops) its files, so the request completes normally. All
 * are drained as they arrive, so their order in the body does not matter.
 */
async function discardFiles(files: IncomingFiles): Promise<void> {
  await Promise.all(
    filesOf(files).map(async (promise) => {
      const file: IncomingFile = await promise;
      const stream = file.createReadStream();
      stream.resume();
      await new Promise<void>((resolve, reject) => {
        stream.once('end', resolve);
        stream.once('error', reject);
      });
    }),
  );
}
