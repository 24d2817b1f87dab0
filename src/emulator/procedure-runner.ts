/**
 * The task flow a `Procedure` given at ApplyUpload starts after CommitUpload. Every name runs the
 * default flow: after `durationMs`, a "transcode" (definition 100010: a streamed copy of the source
 * bytes), a time-offset snapshot (definition 10: a small PNG) and a cover from that snapshot are
 * written under the media's directory, and `ProcedureStateChanged` (FINISH) is queued. A queued
 * `failProcedure` fault ends the task with its error code instead, writing nothing. Tasks in progress
 * are recorded with their media, and resumed when the emulator starts again on the same data dir.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { cosEncode } from './cos-sign.ts';
import type { Counters } from './counters.ts';
import type { EventType } from './event-queue.ts';
import type { Faults, ProcedureFault } from './faults.ts';
import { mediaMetaData, transcodeItem } from './media-info.ts';
import type { ObjectMeta, ObjectStore } from './object-store.ts';
import { solidPng } from './png.ts';
import type { MediaRecord, ProcessedOutput, ProcedureTaskRecord, VodStore } from './vod-store.ts';

export const TRANSCODE_DEFINITION = 100010;
export const SNAPSHOT_DEFINITION = 10;
/** The old numeric code VOD reports next to ErrCodeExt for an internal failure. */
const FAILED_ERR_CODE = 70000;

/** Where the emulator's events go (the event queue, with the event faults applied). */
export type EmitEvent = (subAppId: number, type: EventType, body: Record<string, unknown>) => Promise<void>;

export interface ProcedureRunnerDeps {
  readonly store: VodStore;
  readonly objects: ObjectStore;
  readonly faults: Faults;
  readonly counters: Counters;
  readonly emit: EmitEvent;
  readonly logger: Logger;
  readonly appId: string;
  readonly durationMs: number;
  readonly now: () => number;
  /** `http://127.0.0.1:PORT`: output URLs are path-style under it. */
  readonly publicBaseUrl: () => string;
}

export class ProcedureRunner {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly deps: ProcedureRunnerDeps) {}

  /** A new task for a just-committed media file: its record entry (PROCESSING); `schedule` runs it. */
  newTask(procedure: string): ProcedureTaskRecord {
    const taskId = `${this.deps.appId}-Procedure-${randomBytes(16).toString('hex')}t0`;
    return { taskId, procedure, status: 'PROCESSING', startedAt: this.deps.now(), errCode: 0, errCodeExt: '', message: '' };
  }

  /** Runs the record's task when its time is up (at once if it already is, e.g. after a restart). */
  schedule(record: MediaRecord): void {
    const task = record.procedureTask;
    if (this.closed || task?.status !== 'PROCESSING') return;
    const wait = Math.max(0, task.startedAt + this.deps.durationMs - this.deps.now());
    const fileId = record.fileId;
    this.cancel(fileId);
    this.timers.set(
      fileId,
      setTimeout(() => {
        this.timers.delete(fileId);
        const run = this.run(fileId, task.taskId).catch((error: unknown) => this.deps.logger.error({ err: error, fileId }, 'procedure task failed'));
        this.running.add(run);
        void run.finally(() => this.running.delete(run));
      }, wait),
    );
  }

  /** Tasks left PROCESSING by a previous run on this data dir. */
  resumeAll(): void {
    for (const record of this.deps.store.mediaRecords()) this.schedule(record);
  }

  cancel(fileId: string): void {
    clearTimeout(this.timers.get(fileId));
    this.timers.delete(fileId);
  }

  /** Stops scheduling and waits for tasks being carried out now. */
  async close(): Promise<void> {
    this.closed = true;
    for (const fileId of [...this.timers.keys()]) this.cancel(fileId);
    await Promise.all([...this.running]);
  }

  private async run(fileId: string, taskId: string): Promise<void> {
    const record = this.deps.store.mediaRecord(fileId);
    if (record?.procedureTask?.taskId !== taskId || record.procedureTask.status !== 'PROCESSING') return;
    const fault = this.deps.faults.takeProcedureFailure(record.procedureTask.procedure);
    if (fault !== undefined) this.deps.counters.increment('fault.procedureFailure');
    const outputs = fault === undefined ? await this.writeOutputs(record) : [];
    const current = this.deps.store.mediaRecord(fileId);
    if (current?.procedureTask?.taskId !== taskId) {
      // Deleted while the outputs were written: they go too, and no event is sent.
      for (const o of outputs) await this.deps.objects.delete(record.bucket, o.key);
      return;
    }
    const finishedAt = this.deps.now();
    const task: ProcedureTaskRecord = {
      ...record.procedureTask,
      status: 'FINISH',
      finishedAt,
      errCode: fault === undefined ? 0 : FAILED_ERR_CODE,
      errCodeExt: fault?.code ?? '',
      message: fault === undefined ? 'SUCCESS' : (fault.message ?? `procedure failed: ${fault.code}`),
    };
    const cover = outputs.find((o) => o.kind === 'CoverBySnapshot');
    const updated: MediaRecord = {
      ...current,
      procedureTask: task,
      outputs: [...(current.outputs ?? []), ...outputs],
      updatedAt: new Date(finishedAt).toISOString(),
      ...(cover === undefined ? {} : { coverUrl: cover.url }),
    };
    await this.deps.store.addMedia(updated);
    await this.deps.emit(updated.subAppId, 'ProcedureStateChanged', procedureTaskBody(updated, task, outputs, fault));
    this.deps.counters.increment('procedure.finished');
  }

  private async writeOutputs(record: MediaRecord): Promise<ProcessedOutput[]> {
    const { objects } = this.deps;
    const source = objects.head(record.bucket, record.mediaKey);
    if (source === undefined) throw new Error(`media object of ${record.fileId} is gone`);
    const dir = record.mediaKey.slice(0, record.mediaKey.lastIndexOf('/') + 1);
    const base = `${this.deps.publicBaseUrl()}/${record.bucket}/`;
    const output = (kind: ProcessedOutput['kind'], definition: number, meta: ObjectMeta, timeOffset?: number): ProcessedOutput => ({
      kind, definition, key: meta.key, url: base + meta.key.split('/').map(cosEncode).join('/'), size: meta.size, md5: meta.etag.replaceAll('"', ''), timeOffset,
    });
    const transcodeKey = `${dir}v.f${TRANSCODE_DEFINITION}.mp4`;
    const copy = await objects.putStream(record.bucket, transcodeKey, objects.openRead(source), { contentType: 'video/mp4' });
    const png = solidPng(16, 9, colourOf(record.fileId));
    const snapshotKey = `${dir}snapshotByTimeOffset/${SNAPSHOT_DEFINITION}_0.png`;
    const snapshot = await objects.putStream(record.bucket, snapshotKey, Readable.from([png]), { contentType: 'image/png' });
    const coverKey = `${dir}coverBySnapshot/${SNAPSHOT_DEFINITION}_0.png`;
    const cover = await objects.putStream(record.bucket, coverKey, Readable.from([png]), { contentType: 'image/png' });
    return [
      output('Transcode', TRANSCODE_DEFINITION, copy),
      output('SnapshotByTimeOffset', SNAPSHOT_DEFINITION, snapshot, 0),
      output('CoverBySnapshot', SNAPSHOT_DEFINITION, cover),
    ];
  }
}

/** A colour of the file's own, so two files' snapshots differ. */
function colourOf(fileId: string): [number, number, number] {
  const h = createHash('sha256').update(fileId).digest();
  return [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0];
}

/** The ProcedureTask of a finished task: ProcedureStateChangeEvent. */
function procedureTaskBody(record: MediaRecord, task: ProcedureTaskRecord, outputs: readonly ProcessedOutput[], fault: ProcedureFault | undefined): Record<string, unknown> {
  const begin = new Date(task.startedAt).toISOString();
  const finish = new Date(task.finishedAt ?? task.startedAt).toISOString();
  const status = {
    Status: fault === undefined ? 'SUCCESS' : 'FAIL',
    ErrCodeExt: task.errCodeExt,
    ErrCode: task.errCode,
    Message: task.message,
    Progress: fault === undefined ? 100 : 0,
    BeginProcessTime: begin,
    FinishTime: finish,
  };
  const find = (kind: ProcessedOutput['kind']): ProcessedOutput | undefined => outputs.find((o) => o.kind === kind);
  const transcode = find('Transcode');
  const snapshot = find('SnapshotByTimeOffset');
  const cover = find('CoverBySnapshot');
  return {
    TaskId: task.taskId,
    Status: 'FINISH',
    ErrCode: task.errCode,
    Message: task.message,
    FileId: record.fileId,
    FileName: record.mediaName,
    FileUrl: record.mediaUrl,
    MetaData: mediaMetaData(record),
    MediaProcessResultSet: [
      {
        Type: 'Transcode',
        TranscodeTask: { ...status, Input: { Definition: TRANSCODE_DEFINITION }, Output: transcode === undefined ? null : transcodeItem(transcode) },
      },
      {
        Type: 'SnapshotByTimeOffset',
        SnapshotByTimeOffsetTask: {
          ...status,
          Input: { Definition: SNAPSHOT_DEFINITION, ExtTimeOffsetSet: ['0s'], TimeOffsetSet: [0] },
          Output:
            snapshot === undefined
              ? null
              : { Definition: SNAPSHOT_DEFINITION, PicInfoSet: [{ TimeOffset: snapshot.timeOffset ?? 0, Url: snapshot.url, WaterMarkDefinition: [] }] },
        },
      },
      {
        Type: 'CoverBySnapshot',
        CoverBySnapshotTask: {
          ...status,
          Input: { Definition: SNAPSHOT_DEFINITION, PositionType: 'Time', PositionValue: 0 },
          Output: cover === undefined ? null : { CoverUrl: cover.url },
        },
      },
    ],
    AiContentReviewResultSet: [],
    AiAnalysisResultSet: [],
    AiRecognitionResultSet: [],
    TasksPriority: 0,
    TasksNotifyMode: 'Finish',
    SessionContext: record.sessionContext ?? '',
    SessionId: '',
    Operator: '',
    OperationType: '',
  };
}
