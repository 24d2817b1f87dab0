/**
 * Held answers, for crash tests: the next request of a named operation is carried out in full (a
 * session granted, a multipart upload created, a part stored), but its answer is kept back until the
 * test releases it. The caller never learns what was done, which is the window a crash between a
 * cloud call and the record of its result leaves open.
 */
import type { ServerResponse } from 'node:http';
import type { CounterName } from './counters.ts';

/** Operations whose answers can be held: the VOD actions and COS operations, by their counter names. */
export type HeldOperation = Extract<CounterName, `vod.${string}` | `cos.${string}`>;

export interface ResponseHold {
  /** Resolves once the operation was carried out and its answer is being held. */
  readonly reached: Promise<void>;
  /** Sends the held answer (a no-op when the client is gone). */
  release(): void;
}

interface PendingHold {
  readonly operation: HeldOperation;
  /** Instead of answering, the connection is destroyed: an answer lost on the way. */
  readonly drop: boolean;
  readonly reached: () => void;
  readonly released: Promise<void>;
}

export class ResponseHolds {
  readonly #pending: PendingHold[] = [];

  /** Holds the answer of the next request of `operation`; with `drop`, destroys the connection when released. */
  hold(operation: HeldOperation, options: { readonly drop?: boolean } = {}): ResponseHold {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#pending.push({ operation, reached, released, drop: options.drop === true });
    return { reached: reachedPromise, release };
  }

  /** Drops every hold not yet reached. */
  clear(): void {
    this.#pending.length = 0;
  }

  /**
   * When a hold waits for `operation`, keeps back what the handler sends on `res` until released:
   * the handler runs to its end (the operation's effects are real), only the bytes wait.
   */
  apply(operation: HeldOperation | undefined, res: ServerResponse): void {
    if (operation === undefined) return;
    const index = this.#pending.findIndex((hold) => hold.operation === operation);
    if (index < 0) return;
    const [hold] = this.#pending.splice(index, 1);
    const end = res.end.bind(res);
    const writeHead = res.writeHead.bind(res);
    let head: Parameters<ServerResponse['writeHead']> | undefined;
    res.writeHead = ((...args: Parameters<ServerResponse['writeHead']>) => {
      head = args;
      return res;
    }) as ServerResponse['writeHead'];
    res.end = ((...args: Parameters<ServerResponse['end']>) => {
      hold!.reached();
      void hold!.released.then(() => {
        if (res.destroyed) return;
        if (hold!.drop) {
          res.socket?.destroy();
          return;
        }
        if (head !== undefined) writeHead(...head);
        end(...(args as [unknown, BufferEncoding, () => void]));
      });
      return res;
    }) as ServerResponse['end'];
  }
}
