import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedEndpoint, ResolvedAddress } from './endpoint-address.ts';

/** What one attempt got: an answer's status code, or the reason there was none. */
export type AttemptOutcome =
  | { readonly kind: 'answered'; readonly statusCode: number; readonly error: string | null }
  | { readonly kind: 'no-answer'; readonly error: string };

export interface WebhookRequest {
  readonly endpoint: CheckedEndpoint;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** How much of an error answer's body is kept, as text, for `lastError`. */
const ERROR_TEXT_CHARS = 200;
const USER_AGENT = 'vod-ingest-webhooks/1';

/**
 * POSTs one webhook with node:http(s). The connection goes only to the addresses the endpoint was
 * checked against (the socket's lookup is pinned to them, so a DNS answer changed since the check is
 * never used); redirects are not followed (a 3xx is an answer like any other non-2xx); the whole
 * attempt, connection to the end of the answer, is bounded by `timeoutMs`. The answer's body is read
 * and dropped but for a short text of an error answer.
 */
export class WebhookSender {
  readonly #httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  readonly #httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

  send(request: WebhookRequest): Promise<AttemptOutcome> {
    const { url, addresses } = request.endpoint;
    const secure = url.protocol === 'https:';
    const body = Buffer.from(request.body, 'utf8');
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const options: https.RequestOptions = {
        method: 'POST',
        agent: secure ? this.#httpsAgent : this.#httpAgent,
        lookup: pinnedLookup(addresses),
        headers: { ...request.headers, 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': USER_AGENT },
      };
      const req = (secure ? https : http).request(url, options, (res) => {
        const statusCode = res.statusCode ?? 0;
        const ok = statusCode >= 200 && statusCode < 300;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (!ok && text.length < ERROR_TEXT_CHARS) text += chunk.slice(0, ERROR_TEXT_CHARS - text.length);
        });
        res.on('end', () => settle({ kind: 'answered', statusCode, error: ok ? null : errorText(statusCode, res.headers.location, text) }));
        res.on('error', (error) => settle({ kind: 'no-answer', error: describe(error) }));
      });
      const timer = setTimeout(() => {
        settle({ kind: 'no-answer', error: `no answer within ${request.timeoutMs} ms` });
        req.destroy();
      }, request.timeoutMs);
      req.on('error', (error) => settle({ kind: 'no-answer', error: describe(error) }));
      req.end(body);
    });
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

/** A socket lookup that answers only with the checked addresses, whatever the name resolves to now. */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) {
      (callback as unknown as (error: null, all: ResolvedAddress[]) => void)(null, [...addresses]);
      return;
    }
    const first = addresses.find((entry) => options.family === undefined || options.family === 0 || entry.family === options.family) ?? addresses[0];
    if (first === undefined) callback(new Error('no checked address'), '', 4);
    else callback(null, first.address, first.family);
  };
}

function errorText(statusCode: number, location: string | undefined, body: string): string {
  if (statusCode >= 300 && statusCode < 400) return `HTTP ${statusCode} redirect${location === undefined ? '' : ` to ${location.slice(0, 100)}`} (not followed)`;
  const text = body.replace(/\s+/g, ' ').trim();
  return text === '' ? `HTTP ${statusCode}` : `HTTP ${statusCode}: ${text.slice(0, ERROR_TEXT_CHARS)}`;
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code === undefined ? error.message : `${code}: ${error.message}`).slice(0, ERROR_TEXT_CHARS);
}
