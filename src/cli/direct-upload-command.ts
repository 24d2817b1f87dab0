/** `vod-upload --direct`: a signature from the service, the files straight to VOD (the service never sees them). */
import type { DirectSendResult } from '../client/direct-upload.ts';
import type { IngestClient } from '../client/ingest-client.ts';
import { isIngestError } from '../client/ingest-error.ts';
import { UgcApiError, type UgcEndpoints } from '../direct/ugc-client.ts';
import type { DirectUploadFields } from '../client/direct-upload.ts';

export interface DirectRun {
  readonly client: IngestClient;
  readonly mediaPath: string;
  readonly coverPath?: string | undefined;
  readonly fields: DirectUploadFields;
  readonly endpoints: UgcEndpoints;
  readonly json: boolean;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Progress lines at most every this many percent. */
const PROGRESS_STEP = 10;

/** Resolves with the error to report, or undefined when VOD took the files. */
export async function runDirectUpload(run: DirectRun): Promise<{ code: string; message: string; uploadId?: string | undefined } | undefined> {
  let lastStep = -1;
  const print = (event: Record<string, unknown>): void => run.stdout(`${JSON.stringify(event)}\n`);
  let result: DirectSendResult;
  try {
    result = await run.client.uploadDirect(run.mediaPath, {
      ...run.fields,
      cover: run.coverPath,
      endpoints: run.endpoints,
      onProgress: (loaded, total) => {
        const step = total > 0 ? Math.floor((loaded / total) * (100 / PROGRESS_STEP)) : 0;
        if (step === lastStep) return;
        lastStep = step;
        if (run.json) print({ event: 'progress', sent: loaded, total });
        else run.stderr(`sent ${loaded} of ${total} bytes to VOD\n`);
      },
    });
  } catch (error) {
    if (error instanceof UgcApiError) return { code: `VOD ${error.code}`, message: error.message };
    if (isIngestError(error)) return { code: error.code, message: error.message, uploadId: error.uploadId };
    return { code: 'Error', message: error instanceof Error ? error.message : String(error) };
  }
  if (run.json) {
    print({ event: 'result', upload: result.upload, fileId: result.fileId, mediaUrl: result.mediaUrl, coverUrl: result.coverUrl ?? null });
  } else {
    run.stdout(
      `sent straight to VOD: FileId ${result.fileId}\n  MediaUrl ${result.mediaUrl}\n` +
        (result.coverUrl === undefined ? '' : `  CoverUrl ${result.coverUrl}\n`) +
        `upload ${result.upload.id} stays PENDING until VOD's NewFileUpload event reaches the service\n`,
    );
  }
  return undefined;
}
