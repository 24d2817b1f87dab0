/**
 * The advisory lock's name for a FileId (hashed with hashtextextended(…, 0)). Every transaction that
 * links events and uploads through a FileId takes it first: the event store and an upload's success.
 */
export function fileIdLockKey(fileId: string): string {
  return `vod-file:${fileId}`;
}
