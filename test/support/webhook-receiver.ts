import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, with what verifying it found. */
export interface ReceivedWebhook {
  readonly id: string;
  readonly body: { type: string; timestamp: string; data: Record<string, unknown> };
  readonly headers: http.IncomingHttpHeaders;
  /** Which of the receiver's secrets verified it (standardwebhooks' Webhook.verify), by index. */
  readonly verifiedWith: readonly number[];
  readonly receivedAt: number;
}

export type Answer = (request: { id: string; attempt: number; path: string }) => { status: number; headers?: Record<string, string>; delayMs?: number };

/**
 * A webhook receiver on 127.0.0.1 that verifies every request with the standardwebhooks library
 * against each of its secrets and answers as `answer` says (2xx by default).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** TCP connections accepted, requests or not. */
  connections = 0;
  secrets: string[] = [];
  answer: Answer = () => ({ status: 204 });
  readonly #server: http.Server;
  readonly #attempts = new Map<string, number>();
  readonly #waiters = new Set<() => void>();

  private constructor(server: http.Server) {
    this.#server = server;
  }

  static async start(): Promise<WebhookReceiver> {
    const server = http.createServer();
    const receiver = new WebhookReceiver(server);
    server.on('connection', () => (receiver.connections += 1));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void receiver.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Requests that verified with at least one secret, by webhook-id. */
  verifiedIds(): string[] {
    return this.received.filter((entry) => entry.verifiedWith.length > 0).map((entry) => entry.id);
  }

  /** Resolves once `condition` holds (checked after each request), or rejects after `ms`. */
  async until(condition: () => boolean, ms = 20_000): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`receiver: condition not met within ${ms} ms (${this.received.length} received)`));
      }, ms);
      this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const id = String(req.headers['webhook-id']);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    const verifiedWith = this.secrets.flatMap((secret, index) => {
      try {
        new Webhook(secret).verify(raw, headers);
        return [index];
      } catch {
        return [];
      }
    });
    const attempt = (this.#attempts.get(id) ?? 0) + 1;
    this.#attempts.set(id, attempt);
    const answer = this.answer({ id, attempt, path: req.url ?? '/' });
    if (answer.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    this.received.push({ id, body: JSON.parse(raw) as ReceivedWebhook['body'], headers: req.headers, verifiedWith, receivedAt: Date.now() });
    res.writeHead(answer.status, answer.headers).end(answer.status >= 300 ? 'receiver says no' : '');
    for (const waiter of this.#waiters) waiter();
  }
}
