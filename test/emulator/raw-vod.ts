/** A tiny TC3-signed raw VOD request helper, for requests the SDK will not produce (tampered, stale). */
import { sha256Hex, tc3AuthorizationHeader } from '../../src/emulator/tc3.ts';

export interface RawVodOptions {
  readonly endpoint: string;
  readonly secretId: string;
  readonly secretKey: string;
  readonly action: string;
  readonly body: string;
  /** Sent instead of `body` (signature still over `body`). */
  readonly sentBody?: string;
  readonly timestamp?: number;
  readonly token?: string;
  readonly service?: string;
}

export interface RawVodAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly json: { Response: { Error?: { Code: string; Message: string }; RequestId: string } & Record<string, unknown> };
}

export async function rawVod(o: RawVodOptions): Promise<RawVodAnswer> {
  const url = new URL(o.endpoint);
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const authorization = tc3AuthorizationHeader({
    method: 'POST',
    path: '/',
    query: '',
    headers: [
      ['content-type', 'application/json'],
      ['host', url.hostname],
    ],
    payloadHash: sha256Hex(o.body),
    timestamp,
    service: o.service ?? 'vod',
    secretKey: o.secretKey,
    secretId: o.secretId,
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Authorization: authorization,
    'X-TC-Action': o.action,
    'X-TC-Version': '2018-07-17',
    'X-TC-Timestamp': String(timestamp),
    'X-TC-Region': 'ap-guangzhou',
  };
  if (o.token !== undefined) headers['X-TC-Token'] = o.token;
  const res = await fetch(`${o.endpoint}/`, { method: 'POST', headers, body: o.sentBody ?? o.body });
  return { status: res.status, contentType: res.headers.get('content-type'), json: (await res.json()) as RawVodAnswer['json'] };
}
