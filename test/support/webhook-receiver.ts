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
  /** The status code the receiver answered this request with. */
  readonly answeredWith: number;
}

/** What the receiver answers: a status, headers, a delay, and a body (default: a short refusal for >= 300, else empty). */
export type Answer = (request: { id: string; attempt: number; path: string }) => {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
  body?: string;
};

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
  #gate: Promise<void> | undefined;
  /** The webhook-ids of requests read and verified but not yet answered because the receiver holds them (see hold). */
  readonly held: string[] = [];

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

  /**
   * Holds every request from now on (body read and verified, no answer) until the returned release
   * is called: a receiver that is slow for as long as a test needs, with no timing involved.
   */
  hold(): () => void {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.#gate = gate;
    return () => {
      if (this.#gate === gate) this.#gate = undefined;
      release();
    };
  }

  /** Requests answered 2xx, by webhook-id. */
  successesById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.received) {
      if (entry.answeredWith >= 200 && entry.answeredWith < 300) counts.set(entry.id, (counts.get(entry.id) ?? 0) + 1);
    }
    return counts;
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
    const gate = this.#gate;
    if (gate !== undefined) {
      this.held.push(id);
      for (const waiter of this.#waiters) waiter();
      await gate;
      this.held.splice(this.held.indexOf(id), 1);
    }
    const body = JSON.parse(raw) as ReceivedWebhook['body'];
    this.received.push({ id, body, headers: req.headers, verifiedWith, receivedAt: Date.now(), answeredWith: answer.status });
    res.writeHead(answer.status, answer.headers).end(answer.body ?? (answer.status >= 300 ? 'receiver says no' : ''));
    for (const waiter of this.#waiters) waiter();
  }
}
