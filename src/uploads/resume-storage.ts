import type { ResumeState } from '../db/upload-writer.ts';
import { VodError, isVodError } from '../errors/vod-error.ts';
import type { Logger } from '../logging/logger.ts';
import { API_RETRY_POLICY, retryWithBackoff } from '../pipeline/retry.ts';
import type { PipelineDependencies } from '../pipeline/upload-pipeline.ts';
import type { ExpiringCredentials, StorageCredentials } from '../storage/object-store.ts';

/** A session key with less than this left is not used: a resume's parts go on for a while. */
export const SESSION_KEY_MARGIN_MS = 5 * 60 * 1000;

/** Whose key a resume stores with: the session's temporary one from ApplyUpload, or the service's own. */
export type ResumeKeyOwner = 'session' | 'service';

export interface ResumeKeyChoice {
  readonly owner: ResumeKeyOwner;
  readonly credentials: StorageCredentials;
}

/** The session's temporary key while more than the margin of it is left, else the service's own key. */
export function chooseResumeKey(session: ExpiringCredentials | undefined, serviceKey: StorageCredentials, now: Date): ResumeKeyChoice {
  if (session !== undefined && now.getTime() < session.expiresAt.getTime() - SESSION_KEY_MARGIN_MS) {
    return { owner: 'session', credentials: { secretId: session.secretId, secretKey: session.secretKey, token: session.token } };
  }
  return { owner: 'service', credentials: serviceKey };
}

export interface ResumeStorageDependencies {
  readonly pipeline: Pick<PipelineDependencies, 'openObjectStore' | 'fallbackCredentials' | 'settings'>;
  readonly logger: Logger;
}

/**
 * The key a resume stores with (see chooseResumeKey), checked before any byte of the resume is
 * read: storage is asked once (ListParts of the kept multipart upload) whether it lets that key at
 * the session's path. On Tencent VOD the bucket is VOD's, and once the session's key has expired the
 * service's own key may be refused there: that is AuthFailure, which leaves the upload PAUSED at
 * its offset (nothing is lost; it can be canceled, or expires). Any other answer is left to the
 * resume itself. Without a multipart upload yet (paused at offset 0) there is nothing to ask.
 */
export async function resumeStorageKey(
  uploadId: string,
  state: ResumeState,
  deps: ResumeStorageDependencies,
  now: Date = new Date(),
): Promise<StorageCredentials> {
  const session = state.sessionCredentials;
  const choice = chooseResumeKey(session, deps.pipeline.fallbackCredentials, now);
  deps.logger.debug(
    { uploadId, keyUsed: choice.owner, sessionKeyExpiresAt: session?.expiresAt.toISOString() ?? null },
    choice.owner === 'session' ? "resume stores with the session's temporary key" : "resume stores with the service's own key",
  );
  const multipartUploadId = state.multipartUploadId;
  if (multipartUploadId === null) return choice.credentials;
  const store = deps.pipeline.openObjectStore({ bucket: state.storageBucket, region: state.bucketRegion, credentials: choice.credentials });
  const objectKey = state.mediaStoragePath.replace(/^\/+/, '');
  try {
    await retryWithBackoff(() => store.listParts({ key: objectKey, uploadId: multipartUploadId }), {
      policy: deps.pipeline.settings.apiRetry ?? API_RETRY_POLICY,
    });
  } catch (error) {
    if (isVodError(error) && error.code === 'AuthFailure') throw refusal(choice.owner, session, error);
  }
  return choice.credentials;
}

function refusal(owner: ResumeKeyOwner, session: ExpiringCredentials | undefined, cause: VodError): VodError {
  const why =
    owner === 'session'
      ? "Storage refused the session's temporary key"
      : session === undefined
        ? "Storage refused the service's own key (no temporary key of the session was kept)"
        : `Storage refused the service's own key (the session's temporary key expired at ${session.expiresAt.toISOString()})`;
  return new VodError(
    'AuthFailure',
    `${why} for this upload's storage path; on Tencent VOD only the session's key may write to VOD's bucket. ` +
      `The upload stays PAUSED at its offset until resumableUntil: cancel it and upload the file again. (${cause.message})`,
    { requestId: cause.requestId, cause },
  );
}
