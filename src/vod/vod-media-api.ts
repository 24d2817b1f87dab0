/**
 * The port to what VOD does with media after the upload: its reliable-callback events
 * (PullEvents/ConfirmEvents), media information and deletion. Payloads stay VOD's own (PascalCase,
 * parsed where they are used: see src/events/vod-event.ts). Errors are VodErrors as in vod-api.ts.
 */
export interface VodMediaApi {
  /** Long poll (VOD holds it up to 5 s): the events not yet confirmed, at most 16. */
  pullEvents(input: { readonly subAppId?: number | undefined }, options?: { readonly signal?: AbortSignal }): Promise<PulledEvents>;
  /** Confirms handled events (within 30 s of their pull, else VOD delivers them again). */
  confirmEvents(input: { readonly handles: readonly string[]; readonly subAppId?: number | undefined }): Promise<void>;
  describeMediaInfos(input: { readonly fileIds: readonly string[]; readonly subAppId?: number | undefined }): Promise<MediaInfos>;
  deleteMedia(input: { readonly fileId: string; readonly subAppId?: number | undefined }): Promise<{ readonly requestId: string }>;
}

export interface PulledEvents {
  /** VOD's EventContent objects as received. */
  readonly events: readonly unknown[];
  readonly requestId: string;
}

export interface MediaInfos {
  /** VOD's MediaInfo objects as received. */
  readonly mediaInfos: readonly unknown[];
  readonly notFound: readonly string[];
  readonly requestId: string;
}
