import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscriptionResult {
  /** Every `next` payload's data, in order. */
  readonly events: Array<Record<string, unknown>>;
  /** When each event arrived: ms since the subscription was opened (same order as `events`). */
  readonly arrivals: number[];
  readonly errors: unknown[];
  /** Resolves once the server completes the subscription. */
  readonly done: Promise<void>;
  /** Resolves once the server has acknowledged the subscription (first byte / subscribe sent). */
  readonly ready: Promise<void>;
  close(): void;
}

/** A GraphQL-over-SSE subscription (distinct connections mode), read with fetch. */
export function subscribeSse(url: string, key: string, query: string, variables: Record<string, unknown>): SubscriptionResult {
  const events: Array<Record<string, unknown>> = [];
  const arrivals: number[] = [];
  const opened = performance.now();
  const errors: unknown[] = [];
  const controller = new AbortController();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = (async () => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
    if (response.body === null) throw new Error(`no SSE body (${response.status})`);
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return;
      markReady();
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (\w+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'complete') return;
        if (event === 'next' && data !== undefined) {
          const payload = JSON.parse(data) as { data?: Record<string, unknown>; errors?: unknown[] };
          if (payload.errors !== undefined) errors.push(...payload.errors);
          if (payload.data !== undefined) {
            events.push(payload.data);
            arrivals.push(performance.now() - opened);
          }
        }
      }
    }
  })();
  done.catch(() => markReady());
  return { events, arrivals, errors, done, ready, close: () => controller.abort() };
}

/** A graphql-ws (WebSocket) subscription with the key in the connection_init payload. */
export function subscribeWs(url: string, key: string, query: string, variables: Record<string, unknown>): SubscriptionResult {
  const events: Array<Record<string, unknown>> = [];
  const arrivals: number[] = [];
  const opened = performance.now();
  const errors: unknown[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${key}` },
    retryAttempts: 0,
    on: { connected: () => markReady() },
  });
  const done = new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          if (value.errors !== undefined) errors.push(...value.errors);
          if (value.data !== undefined && value.data !== null) {
            events.push(value.data);
            arrivals.push(performance.now() - opened);
          }
        },
        error: (error) => {
          errors.push(error);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => resolve(),
      },
    );
  });
  done.catch(() => undefined);
  return {
    events,
    arrivals,
    errors,
    done: done.finally(() => void client.dispose()),
    ready,
    close: () => void client.dispose(),
  };
}

export const PROGRESS_SUBSCRIPTION = `subscription Progress($id: ID!) {
  uploadProgress(id: $id) { id status bytesReceived bytesUploaded bytesTotal progress fileId error { code message } }
}`;
