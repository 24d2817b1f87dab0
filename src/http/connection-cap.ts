import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A ceiling on the open connections of one server. A connection past `max` is still read far
 * enough to answer its first request cleanly (503 with Retry-After, then closed: see
 * `isOverCapacity`), rather than being dropped without a word. Past `max` plus some headroom Node
 * itself drops new connections at once (server.maxConnections), so a flood of silent sockets
 * cannot exhaust file descriptors either; each one that is let in lives at most the headers timeout.
 */
export class ConnectionCap {
  #open = 0;
  readonly #over = new WeakSet<Socket>();

  constructor(
    server: Server,
    readonly max: number,
  ) {
    server.maxConnections = max + Math.max(16, Math.ceil(max / 8));
    server.prependListener('connection', (socket: Socket) => {
      this.#open += 1;
      if (this.#open > max) this.#over.add(socket);
      socket.once('close', () => {
        this.#open -= 1;
      });
    });
  }

  get open(): number {
    return this.#open;
  }

  /** Whether this connection arrived when `max` were already open: it gets a refusal, not service. */
  isOverCapacity(socket: Socket): boolean {
    return this.#over.has(socket);
  }
}
