import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ProcessingOutput } from '../domain/upload-record.ts';
import { blankToUndefined } from '../vod/vod-values.ts';

/**
 * VOD's events (PullEvents' EventContent) as this service applies them. The payload comes from the
 * network: it is parsed leniently (unknown fields ignored, missing ones optional) and every event,
 * known or not, gets a key derived from its content, so a redelivery or a duplicate is recognised.
 */
export type VodEvent =
  /** NewFileUpload: the media is in VOD; a task flow runs when ProcedureTaskId is set. */
  | {
      readonly type: 'NewFileUpload';
      readonly dedupeKey: string;
      readonly handle: string | undefined;
      readonly fileId: string;
      readonly procedureTaskId: string | undefined;
      /** What the uploader asked VOD to pass back (MediaBasicInfo.SourceInfo.SourceContext): ties a direct upload to its record. */
      readonly sourceContext: string | undefined;
      readonly media: { readonly url: string | undefined; readonly coverUrl: string | undefined; readonly type: string | undefined };
      readonly payload: unknown;
    }
  /** ProcedureStateChanged: the task flow moved on (PROCESSING) or ended (FINISH, with its results). */
  | {
      readonly type: 'ProcedureStateChanged';
      readonly dedupeKey: string;
      readonly handle: string | undefined;
      readonly fileId: string;
      readonly taskId: string;
      readonly outcome: ProcedureOutcome;
      readonly payload: unknown;
    }
  /** FileDeleted: the media (and its outputs) are gone from VOD. */
  | { readonly type: 'FileDeleted'; readonly dedupeKey: string; readonly handle: string | undefined; readonly fileIds: readonly string[]; readonly payload: unknown }
  /** Any other event type (or a malformed known one): kept and confirmed, changes nothing. */
  | { readonly type: 'Other'; readonly dedupeKey: string; readonly handle: string | undefined; readonly eventType: string; readonly payload: unknown };

export type ProcedureOutcome =
  | { readonly state: 'PROCESSING' }
  | { readonly state: 'SUCCEEDED'; readonly outputs: readonly ProcessingOutput[] }
  | { readonly state: 'FAILED'; readonly code: string; readonly message: string; readonly outputs: readonly ProcessingOutput[] };

const subTask = z
  .object({
    Status: z.string().optional(),
    ErrCodeExt: z.string().optional(),
    ErrCode: z.number().optional(),
    Message: z.string().optional(),
    Output: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();

const procedureTask = z.object({
  TaskId: z.string().min(1),
  Status: z.string(),
  ErrCode: z.number().optional(),
  Message: z.string().optional(),
  FileId: z.string().min(1),
  MediaProcessResultSet: z
    .array(
      z.object({
        Type: z.string(),
        TranscodeTask: subTask.nullish(),
        SnapshotByTimeOffsetTask: subTask.nullish(),
        CoverBySnapshotTask: subTask.nullish(),
        AdaptiveDynamicStreamingTask: subTask.nullish(),
        SampleSnapshotTask: subTask.nullish(),
        ImageSpriteTask: subTask.nullish(),
        AnimatedGraphicTask: subTask.nullish(),
      }),
    )
    .nullish(),
});

const eventContent = z.object({
  EventHandle: z.string().optional(),
  EventType: z.string().default(''),
  FileUploadEvent: z
    .object({
      FileId: z.string().min(1),
      ProcedureTaskId: z.string().nullish(),
      MediaBasicInfo: z
        .object({
          MediaUrl: z.string().nullish(),
          CoverUrl: z.string().nullish(),
          Type: z.string().nullish(),
          SourceInfo: z.object({ SourceContext: z.string().nullish() }).passthrough().nullish(),
        })
        .passthrough()
        .nullish(),
    })
    .passthrough()
    .nullish(),
  ProcedureStateChangeEvent: procedureTask.passthrough().nullish(),
  FileDeleteEvent: z.object({ FileIdSet: z.array(z.string().min(1)).min(1) }).passthrough().nullish(),
});

/** VOD's name of the event's type (an unknown one's own, or `Malformed`). */
export function eventTypeName(event: VodEvent): string {
  return event.type === 'Other' ? event.eventType : event.type;
}

/** Parses one EventContent; never throws (what cannot be understood becomes `Other`). */
export function parseVodEvent(raw: unknown): VodEvent {
  const parsed = eventContent.safeParse(raw);
  const handle = parsed.success ? parsed.data.EventHandle : handleOf(raw);
  const payload = withoutHandle(raw);
  if (!parsed.success) return { type: 'Other', dedupeKey: contentKey('Malformed', payload), handle, eventType: 'Malformed', payload };
  const event = parsed.data;
  if (event.EventType === 'NewFileUpload' && event.FileUploadEvent) {
    const { FileId: fileId, ProcedureTaskId, MediaBasicInfo: basic } = event.FileUploadEvent;
    return {
      type: 'NewFileUpload',
      dedupeKey: `NewFileUpload:${fileId}`,
      handle,
      fileId,
      // VOD sends an empty ProcedureTaskId when no task flow runs.
      procedureTaskId: blankToUndefined(ProcedureTaskId),
      sourceContext: blankToUndefined(basic?.SourceInfo?.SourceContext),
      media: { url: blankToUndefined(basic?.MediaUrl), coverUrl: blankToUndefined(basic?.CoverUrl), type: blankToUndefined(basic?.Type) },
      payload,
    };
  }
  if (event.EventType === 'ProcedureStateChanged' && event.ProcedureStateChangeEvent) {
    const task = event.ProcedureStateChangeEvent;
    const outcome = procedureOutcome(task);
    return {
      type: 'ProcedureStateChanged',
      dedupeKey: `ProcedureStateChanged:${task.TaskId}:${outcome.state === 'PROCESSING' ? 'PROCESSING' : 'FINISH'}`,
      handle,
      fileId: task.FileId,
      taskId: task.TaskId,
      outcome,
      payload,
    };
  }
  if (event.EventType === 'FileDeleted' && event.FileDeleteEvent) {
    const fileIds = [...new Set(event.FileDeleteEvent.FileIdSet)].sort();
    return { type: 'FileDeleted', dedupeKey: `FileDeleted:${fileIds.join(',')}`, handle, fileIds, payload };
  }
  const eventType = event.EventType === '' ? 'Unknown' : event.EventType;
  return { type: 'Other', dedupeKey: contentKey(eventType, payload), handle, eventType, payload };
}

type ProcedureTaskContent = z.infer<typeof procedureTask>;
type SubTaskContent = z.infer<typeof subTask>;

/** FINISH with ErrCode 0 and no failed sub-task: SUCCEEDED; any failure: FAILED with the first failure's code. */
function procedureOutcome(task: ProcedureTaskContent): ProcedureOutcome {
  if (task.Status !== 'FINISH') return { state: 'PROCESSING' };
  const outputs: ProcessingOutput[] = [];
  let failure: { code: string; message: string } | undefined;
  for (const result of task.MediaProcessResultSet ?? []) {
    const sub = subTaskOf(result);
    if (sub === undefined) continue;
    if (sub.Status === 'FAIL' || (sub.ErrCode !== undefined && sub.ErrCode !== 0)) {
      failure ??= { code: failureCode(sub.ErrCodeExt, sub.ErrCode), message: sub.Message ?? `${result.Type} failed.` };
      continue;
    }
    outputs.push(...outputsOf(result.Type, sub.Output ?? undefined));
  }
  if (failure === undefined && task.ErrCode !== undefined && task.ErrCode !== 0) {
    failure = { code: failureCode(undefined, task.ErrCode), message: task.Message ?? 'The task flow failed.' };
  }
  return failure === undefined ? { state: 'SUCCEEDED', outputs } : { state: 'FAILED', ...failure, outputs };
}

function subTaskOf(result: NonNullable<ProcedureTaskContent['MediaProcessResultSet']>[number]): SubTaskContent | undefined {
  return (
    result.TranscodeTask ??
    result.SnapshotByTimeOffsetTask ??
    result.CoverBySnapshotTask ??
    result.AdaptiveDynamicStreamingTask ??
    result.SampleSnapshotTask ??
    result.ImageSpriteTask ??
    result.AnimatedGraphicTask ??
    undefined
  );
}

/** VOD's ErrCodeExt (e.g. `InternalError`, `InvalidInput`) when it sent one, else its numeric ErrCode. */
function failureCode(ext: string | undefined, code: number | undefined): string {
  if (ext !== undefined && ext !== '') return ext;
  return code === undefined ? 'InternalError' : `ErrCode.${code}`;
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The URLs a sub-task produced, as ProcessingOutputs (kind = VOD's result Type). */
function outputsOf(kind: string, output: Record<string, unknown> | undefined): ProcessingOutput[] {
  if (output === undefined) return [];
  const base = { kind, definition: numberOrNull(output['Definition']), size: null, width: null, height: null, bitrate: null, container: null };
  const url = stringOrNull(output['Url']) ?? stringOrNull(output['CoverUrl']);
  if (url !== null) {
    return [
      {
        ...base,
        url,
        size: numberOrNull(output['Size']),
        width: numberOrNull(output['Width']),
        height: numberOrNull(output['Height']),
        bitrate: numberOrNull(output['Bitrate']),
        container: stringOrNull(output['Container']),
      },
    ];
  }
  const pictures = output['PicInfoSet'];
  if (!Array.isArray(pictures)) return [];
  return pictures.flatMap((picture: unknown) => {
    const pictureUrl = stringOrNull((picture as Record<string, unknown> | null)?.['Url']);
    return pictureUrl === null ? [] : [{ ...base, url: pictureUrl }];
  });
}

function handleOf(raw: unknown): string | undefined {
  const handle = (raw as Record<string, unknown> | null)?.['EventHandle'];
  return typeof handle === 'string' ? handle : undefined;
}

/** The event without its handle (a redelivery carries a new one). */
function withoutHandle(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw ?? null;
  const { EventHandle: _handle, ...rest } = raw as Record<string, unknown>;
  return rest;
}

function contentKey(eventType: string, payload: unknown): string {
  return `${eventType}:${createHash('sha256').update(JSON.stringify(payload) ?? 'null').digest('hex')}`;
}
