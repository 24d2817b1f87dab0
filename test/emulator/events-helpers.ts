/** Uploads and event pulls through the real VOD and COS SDKs, for the event tests. */
import type { RunningEmulator } from '../../src/emulator/emulator.ts';
import { cosClient, rejection, type VodClient } from './helpers.ts';

export interface Uploaded {
  readonly fileId: string;
  readonly mediaUrl: string;
  readonly coverUrl: string;
}

export interface UploadParams {
  readonly Procedure?: string;
  readonly SubAppId?: number;
  readonly SourceContext?: string;
  readonly SessionContext?: string;
  readonly MediaName?: string;
  readonly cover?: Buffer;
}

/** ApplyUpload → PutObject (media and cover) → CommitUpload. */
export async function upload(emulator: RunningEmulator, vod: VodClient, media: Buffer, params: UploadParams = {}): Promise<Uploaded> {
  const { cover, ...rest } = params;
  const applied = await vod.ApplyUpload({ MediaType: 'mp4', ...(cover === undefined ? {} : { CoverType: 'png' }), ...rest });
  const cos = cosClient(emulator, applied.TempCertificate ?? {});
  const target = { Bucket: applied.StorageBucket ?? '', Region: applied.StorageRegion ?? '' };
  await cos.putObject({ ...target, Key: (applied.MediaStoragePath ?? '').slice(1), Body: media });
  if (cover !== undefined) await cos.putObject({ ...target, Key: (applied.CoverStoragePath ?? '').slice(1), Body: cover });
  const commit = await vod.CommitUpload({ VodSessionKey: applied.VodSessionKey ?? '', SubAppId: params.SubAppId });
  return { fileId: commit.FileId ?? '', mediaUrl: commit.MediaUrl ?? '', coverUrl: commit.CoverUrl ?? '' };
}

export type Event = NonNullable<Awaited<ReturnType<VodClient['PullEvents']>>['EventSet']>[number];

/** One PullEvents call: its events, or [] when VOD answers ResourceNotFound (nothing within the long poll). */
export async function pullOnce(vod: VodClient, subAppId?: number): Promise<Event[]> {
  try {
    return (await vod.PullEvents(subAppId === undefined ? {} : { SubAppId: subAppId })).EventSet ?? [];
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ResourceNotFound') return [];
    throw error;
  }
}

/** Pulls until at least `count` events arrived (the test's timeout bounds the wait). */
export async function pullAtLeast(vod: VodClient, count: number, subAppId?: number): Promise<Event[]> {
  const got: Event[] = [];
  while (got.length < count) got.push(...(await pullOnce(vod, subAppId)));
  return got;
}

export async function confirmAll(vod: VodClient, events: readonly Event[], subAppId?: number): Promise<void> {
  await vod.ConfirmEvents({ EventHandles: events.map((e) => e.EventHandle ?? ''), SubAppId: subAppId });
}

export const errorCode = async (fn: () => Promise<unknown>): Promise<unknown> => (await rejection(fn))['code'];

export async function getBytes(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}
