/**
 * The local Tencent Cloud VOD + COS emulator: one HTTP server answering the VOD API (requests with
 * X-TC-Action or a TC3 Authorization), the COS XML API (everything else) and admin endpoints under
 * `/__emulator/`. See PROTOCOL.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { ADMIN_PREFIX, handleAdmin } from './admin-http.ts';
import { applyCors } from './cors.ts';
import { handleCos } from './cos-http.ts';
import type { CosAddress } from './cos-route.ts';
import { Counters } from './counters.ts';
import { CredentialStore, type TemporaryCredential } from './credentials.ts';
import { DEFAULT_EVENT_TIMINGS, EventQueue, type EventTimings } from './event-queue.ts';
import { Faults, type FaultController, type FaultOptions } from './faults.ts';
import { sleep } from './http-util.ts';
import { randomSecret } from './ids.ts';
import { MultipartStore } from './multipart-store.ts';
import { ObjectStore } from './object-store.ts';
import { ProcedureRunner, type EmitEvent } from './procedure-runner.ts';
import { StateView, type EmulatorState } from './state.ts';
import { handleUgc, isUgcRequest } from './ugc-http.ts';
import { UsedSignatures } from './ugc-signature.ts';
import type { EmptyPullAnswer, VodContext } from './vod-actions.ts';
import { handleVod, isVodRequest } from './vod-http.ts';
import { VodStore } from './vod-store.ts';

export type { FaultController, FaultOptions } from './faults.ts';
export type { HeldOperation, ResponseHold } from './response-holds.ts';
export type { EventTimings, QueuedEvent } from './event-queue.ts';
export type { EmulatorState } from './state.ts';
export type { EmptyPullAnswer } from './vod-actions.ts';
export type { MediaRecord, ProcedureTaskRecord, ProcessedOutput } from './vod-store.ts';

export interface EmulatorOptions {
  /** 0 = random. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  dataDir: string;
  /** Permanent key pair; when absent, reused from `<dataDir>/keys.json` or generated there. */
  secretId?: string;
  secretKey?: string;
  /** Default ap-guangzhou. */
  region?: string;
  /** Known sub-application ids besides 0/absent; default [1500000001, 101]. */
  subAppIds?: number[];
  faults?: FaultOptions;
  logger?: Logger;
  /** COS APPID used in bucket names; default 1250000000. */
  appId?: string;
  /** Lifetime of a VodSessionKey; default 86400 s. */
  sessionTtlSeconds?: number;
  /** Lifetime of an ApplyUpload TempCertificate; default 7200 s. */
  tempCredentialTtlSeconds?: number;
  /** Minimum size of a non-last part at Complete; default 1 MiB (like COS). */
  minPartSize?: number;
  /** Clock in milliseconds (tests); default Date.now. */
  now?: () => number;
  /**
   * Act like VOD's bucket: COS refuses the permanent key (AccessDenied) on the paths ApplyUpload
   * handed out; only the session's temporary key gets in. Default false (the permanent key works everywhere).
   */
  sessionPathsTempOnly?: boolean;
  /** How long a procedure (task flow) runs before it finishes; default 3000 ms. */
  procedureDurationMs?: number;
  /** PullEvents/ConfirmEvents timings, each overridable (tests shorten them); defaults are VOD's. */
  eventTimings?: Partial<EventTimings>;
  /** PullEvents' answer when no event arrived within the long poll; default `ResourceNotFound` (as documented). */
  emptyPullAnswer?: EmptyPullAnswer;
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:PORT */
  readonly vodEndpoint: string;
  readonly cosEndpoint: string;
  readonly secretId: string;
  readonly secretKey: string;
  readonly region: string;
  /** `host:port`, the form `httpProfile.endpoint` and the COS `Ip` option take. */
  readonly hostPort: string;
  readonly faults: FaultController;
  readonly state: EmulatorState;
  /** Issues temporary VOD API credentials (secretId/secretKey/token; calls must send X-TC-Token). */
  createTemporaryCredential(ttlSeconds?: number): Promise<TemporaryCredential>;
  /** Turns `sessionPathsTempOnly` on or off from now on. */
  setSessionPathsTempOnly(on: boolean): void;
  close(): Promise<void>;
}

async function permanentKeys(dataDir: string, options: EmulatorOptions): Promise<{ secretId: string; secretKey: string }> {
  if (options.secretId !== undefined && options.secretKey !== undefined) return { secretId: options.secretId, secretKey: options.secretKey };
  const file = path.join(dataDir, 'keys.json');
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { secretId?: unknown; secretKey?: unknown };
    if (typeof saved.secretId === 'string' && typeof saved.secretKey === 'string' && (options.secretId ?? saved.secretId) === saved.secretId) {
      return { secretId: saved.secretId, secretKey: saved.secretKey };
    }
  } catch {
    // none saved yet
  }
  const keys = { secretId: options.secretId ?? `AKIDemu${randomBytes(12).toString('hex')}`, secretKey: options.secretKey ?? randomSecret(32) };
  await writeFile(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const logger = options.logger ?? pino({ level: 'silent' });
  const now = options.now ?? Date.now;
  const nowSeconds = (): number => Math.floor(now() / 1000);
  const region = options.region ?? 'ap-guangzhou';
  const host = options.host ?? '127.0.0.1';
  const keys = await permanentKeys(dataDir, options);

  const credentials = new CredentialStore(keys.secretId, keys.secretKey, dataDir, nowSeconds);
  const objects = new ObjectStore(dataDir);
  const multipart = new MultipartStore(dataDir, objects, options.minPartSize ?? 1024 * 1024);
  const vod = new VodStore(dataDir);
  const events = new EventQueue(dataDir, { ...DEFAULT_EVENT_TIMINGS, ...options.eventTimings }, now);
  await credentials.load();
  await objects.load();
  await multipart.load();
  await vod.load();
  await events.load();
  const counters = new Counters();
  const faults = new Faults(options.faults);
  const state = new StateView(counters, { vod, multipart, objects, events });
  let sessionPathsTempOnly = options.sessionPathsTempOnly ?? false;
  const refusesPermanentKey = (addr: CosAddress): boolean =>
    sessionPathsTempOnly && vod.isSessionPath(addr.bucket, addr.key === '' ? (addr.query.get('prefix') ?? '') : addr.key);

  let baseUrl = '';
  const emit: EmitEvent = async (subAppId, type, body) => {
    const delivery = faults.eventDelivery;
    counters.increment('event.published', delivery.copies);
    await events.publish(subAppId, type, body, delivery);
  };
  const procedures = new ProcedureRunner({
    store: vod, objects, faults, counters, emit, logger, appId: options.appId ?? '1250000000',
    durationMs: options.procedureDurationMs ?? 3000, now, publicBaseUrl: () => baseUrl,
  });
  const ctx: VodContext = {
    store: vod,
    objects,
    credentials,
    subAppIds: new Set(options.subAppIds ?? [1500000001, 101]),
    appId: options.appId ?? '1250000000',
    publicBaseUrl: () => baseUrl,
    nowSeconds,
    sessionTtlSeconds: options.sessionTtlSeconds ?? 86400,
    tempCredentialTtlSeconds: options.tempCredentialTtlSeconds ?? 7200,
    events,
    emit,
    procedures,
    emptyPullAnswer: options.emptyPullAnswer ?? 'ResourceNotFound',
  };

  const ugc = { vod: ctx, defaultRegion: region, usedSignatures: new UsedSignatures() };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url === ADMIN_PREFIX || url.startsWith(`${ADMIN_PREFIX}/`)) return handleAdmin(req, res, { state, faults, credentials });
    if (faults.delayMs > 0) {
      counters.increment('fault.delay');
      await sleep(faults.delayMs);
    }
    if (applyCors(req, res)) return;
    if (isUgcRequest(req)) return handleUgc(req, res, { ctx: ugc, counters, logger });
    if (isVodRequest(req)) return handleVod(req, res, { ctx, faults, counters, logger, defaultRegion: region });
    return handleCos(req, res, { objects, multipart, faults, counters, credentials, logger, nowSeconds, refusesPermanentKey, holds: faults.holds });
  }

  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 60_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, 'emulator request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end('internal error');
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  const address = await listen(server, options.port ?? 0, host);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const hostPort = `${urlHost}:${address.port}`;
  baseUrl = `http://${hostPort}`;
  logger.info({ endpoint: baseUrl, dataDir, region, sessionPathsTempOnly }, 'emulator listening');
  procedures.resumeAll();

  let closing: Promise<void> | undefined;
  return {
    vodEndpoint: baseUrl,
    cosEndpoint: baseUrl,
    secretId: keys.secretId,
    secretKey: keys.secretKey,
    region,
    hostPort,
    faults,
    state,
    createTemporaryCredential: (ttlSeconds = 3600) => credentials.issue('vod', ttlSeconds),
    setSessionPathsTempOnly: (on) => {
      sessionPathsTempOnly = on;
    },
    close(): Promise<void> {
      events.close();
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 2000);
        server.close(() => {
          clearTimeout(force);
          procedures.close().then(resolve, resolve);
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
