import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-sse';
import { TERMINAL_UPLOAD_STATUSES, UPLOAD_PROGRESS, type UploadSnapshot } from './ingest-types.ts';

/** One `uploadProgress` subscription over SSE. */
export interface ProgressFeed {
  readonly id: string;
  /** Resolves once the server accepted the subscription (or it failed: progress is best effort). */
  readonly ready: Promise<void>;
  /** True until the subscription ended (terminal status, error, or close). */
  readonly active: boolean;
  close(): void;
}

/**
 * Subscribes to an upload's progress with graphql-sse (plain HTTP, the same bearer key and path as
 * the mutations). Subscribing before the upload exists is fine: the first snapshot comes when it starts.
 * A broken stream is retried by graphql-sse a few times; after that progress stops, the upload does not.
 */
export function followProgress(
  endpoint: string,
  authorization: string,
  id: string,
  onSnapshot: (snapshot: UploadSnapshot) => void,
): ProgressFeed {
  const client: Client = createClient({
    url: endpoint,
    headers: { authorization },
    // Progress is best effort: a stream that cannot connect should not hold the upload back long.
    retryAttempts: 2,
    retry: (retries) => sleep(300 * 2 ** retries),
  });
  let active = true;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const end = () => {
    active = false;
    markReady();
    client.dispose();
  };
  client.subscribe<{ uploadProgress?: UploadSnapshot }>(
    { query: UPLOAD_PROGRESS, variables: { id } },
    {
      next: (result) => {
        const snapshot = result.data?.uploadProgress;
        if (snapshot === undefined) return;
        onSnapshot(snapshot);
        if (TERMINAL_UPLOAD_STATUSES.has(snapshot.status)) end();
      },
      error: end,
      complete: end,
    },
    { connected: () => markReady() },
  );
  return {
    id,
    ready,
    get active() {
      return active;
    },
    close: end,
  };
}
