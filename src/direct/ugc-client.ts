/**
 * A direct upload from Node, the way vod-js-sdk-v6 does it in a browser: ApplyUploadUGC with the
 * signature, the files to COS with the session's temporary key (cos-nodejs-sdk-v5's sliceUploadFile:
 * multipart past one part, from disk, with backpressure), then CommitUploadUGC. Nothing passes
 * through the ingest service.
 */
import path from 'node:path';
import COS from 'cos-nodejs-sdk-v5';

/** Where the client-upload API and COS are; defaults are Tencent's. */
export interface UgcEndpoints {
  /** Default https://vod2.qcloud.com */
  readonly vodUrl?: string | undefined;
  /** `http://host:port` of a COS-compatible endpoint (the emulator); default: Tencent's COS by bucket and region. */
  readonly cosUrl?: string | undefined;
}

export interface DirectFile {
  readonly path: string;
  /** Default: the file name without its extension / its extension. */
  readonly name?: string | undefined;
  readonly type?: string | undefined;
}

export interface DirectUploadResult {
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl?: string | undefined;
}

/** A refusal of the client-upload API: its numeric code and message. */
export class UgcApiError extends Error {
  override readonly name = 'UgcApiError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface ApplyData {
  readonly video: { readonly storagePath: string };
  readonly cover?: { readonly storagePath: string } | undefined;
  readonly storageAppId: number;
  readonly storageBucket: string;
  readonly storageRegionV5: string;
  readonly vodSessionKey: string;
  readonly tempCertificate: { readonly secretId: string; readonly secretKey: string; readonly token: string };
}

export async function callUgc<T>(vodUrl: string, action: string, body: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${vodUrl}/v3/index.php?Action=${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new UgcApiError(res.status, `${action}: HTTP ${res.status}`);
  const answer = (await res.json()) as { code?: unknown; message?: unknown; data?: unknown };
  if (answer.code !== 0) throw new UgcApiError(Number(answer.code), typeof answer.message === 'string' ? answer.message : `${action} failed`);
  return answer.data as T;
}

const describe = (file: DirectFile): { name: string; type: string } => {
  const ext = path.extname(file.path);
  return { name: file.name ?? path.basename(file.path, ext), type: (file.type ?? ext.slice(1)).toLowerCase() };
};

export async function uploadDirect(
  signature: string,
  files: { media: DirectFile; cover?: DirectFile | undefined },
  endpoints: UgcEndpoints = {},
  onProgress?: (loaded: number, total: number) => void,
): Promise<DirectUploadResult> {
  const vodUrl = endpoints.vodUrl ?? 'https://vod2.qcloud.com';
  const media = describe(files.media);
  const cover = files.cover === undefined ? undefined : describe(files.cover);
  const applied = await callUgc<ApplyData>(vodUrl, 'ApplyUploadUGC', {
    signature,
    videoName: media.name,
    videoType: media.type,
    ...(cover === undefined ? {} : { coverName: cover.name, coverType: cover.type }),
  });
  const cosUrl = endpoints.cosUrl === undefined ? undefined : new URL(endpoints.cosUrl);
  const cos = new COS({
    SecretId: applied.tempCertificate.secretId,
    SecretKey: applied.tempCertificate.secretKey,
    SecurityToken: applied.tempCertificate.token,
    ...(cosUrl === undefined ? {} : { Ip: cosUrl.host, Protocol: cosUrl.protocol as 'http:' | 'https:' }),
  });
  const target = { Bucket: `${applied.storageBucket}-${applied.storageAppId}`, Region: applied.storageRegionV5 };
  await cos.sliceUploadFile({
    ...target,
    Key: applied.video.storagePath.replace(/^\//, ''),
    FilePath: files.media.path,
    onProgress: (p) => onProgress?.(p.loaded, p.total),
  });
  if (files.cover !== undefined && applied.cover !== undefined) {
    await cos.sliceUploadFile({ ...target, Key: applied.cover.storagePath.replace(/^\//, ''), FilePath: files.cover.path });
  }
  const committed = await callUgc<{ fileId: string; video: { url: string }; cover?: { url: string } }>(vodUrl, 'CommitUploadUGC', {
    signature,
    vodSessionKey: applied.vodSessionKey,
  });
  return { fileId: committed.fileId, mediaUrl: committed.video.url, coverUrl: committed.cover?.url };
}
