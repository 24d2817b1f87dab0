/** The COS XML API over HTTP: addressing, signature check, dispatch to operations, XML errors. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { verifyCosRequest } from './cos-auth.ts';
import { CosError, cosErrors } from './cos-errors.ts';
import * as ops from './cos-ops.ts';
import { resolveCosAddress, type CosAddress } from './cos-route.ts';
import { errorXml } from './cos-xml.ts';
import type { CredentialStore } from './credentials.ts';
import { drain } from './http-util.ts';
import type { HeldOperation, ResponseHolds } from './response-holds.ts';

export interface CosHttpDeps extends ops.CosOpsDeps {
  readonly credentials: CredentialStore;
  /**
   * True when a request signed with the permanent key must be refused at this address (a VOD
   * session path, with the emulator acting like VOD's bucket: only the session's key gets in).
   */
  readonly refusesPermanentKey: (addr: CosAddress) => boolean;
  readonly logger: Logger;
  readonly nowSeconds: () => number;
  readonly holds: ResponseHolds;
}

type Op = (call: ops.CosCall, deps: ops.CosOpsDeps) => Promise<void>;
/** An operation and its name (its counter's). */
type NamedOp = readonly [HeldOperation, Op];

function chooseOperation(method: string, addr: CosAddress): NamedOp | undefined {
  const q = addr.query;
  if (addr.key === '') {
    if (method === 'GET' && q.has('uploads')) return ['cos.listMultipartUploads', ops.listMultipartUploads];
    return undefined;
  }
  switch (method) {
    case 'PUT':
      return q.has('uploadid') || q.has('partnumber') ? ['cos.uploadPart', ops.uploadPart] : ['cos.putObject', ops.putObject];
    case 'POST':
      if (q.has('uploads')) return ['cos.initiateMultipart', ops.initiateMultipart];
      return q.has('uploadid') ? ['cos.completeMultipart', ops.completeMultipart] : undefined;
    case 'GET':
      return q.has('uploadid') ? ['cos.listParts', ops.listParts] : ['cos.getObject', (call, deps) => ops.getObject(call, deps, false)];
    case 'HEAD':
      return ['cos.headObject', (call, deps) => ops.getObject(call, deps, true)];
    case 'DELETE':
      return q.has('uploadid') ? ['cos.abortMultipart', ops.abortMultipart] : ['cos.deleteObject', ops.deleteObject];
    default:
      return undefined;
  }
}

export async function handleCos(req: IncomingMessage, res: ServerResponse, deps: CosHttpDeps): Promise<void> {
  const requestId = randomBytes(24).toString('base64url');
  const baseHeaders = { 'x-cos-request-id': requestId, Server: 'tencent-cos' };
  const method = req.method ?? 'GET';
  let resource = req.url ?? '/';
  try {
    const addr = resolveCosAddress(req);
    if (addr === undefined) throw cosErrors.noSuchBucket();
    resource = `${addr.bucket}/${addr.key}`;
    const chosen = chooseOperation(method, addr);
    if (chosen === undefined) throw cosErrors.methodNotAllowed();
    const [name, op] = chosen;
    const readOnly = (method === 'GET' || method === 'HEAD') && !addr.query.has('uploadid');
    const signer = verifyCosRequest(req, addr, { credentials: deps.credentials, nowSeconds: deps.nowSeconds(), allowAnonymous: readOnly });
    if (signer.kind !== 'anonymous') {
      deps.counters.increment(signer.kind === 'permanent' ? 'cos.signedPermanent' : 'cos.signedTemporary');
      deps.counters.countSigner(signer.secretId);
    }
    if (signer.kind === 'permanent' && deps.refusesPermanentKey(addr)) {
      deps.counters.increment('cos.permanentKeyRefused');
      throw cosErrors.accessDenied("Access Denied: this path belongs to a VOD upload session; only the session's temporary key may use it.");
    }
    deps.holds.apply(name, res);
    await op({ req, res, addr, baseHeaders }, deps);
  } catch (error) {
    deps.counters.increment('cos.error');
    const e = error instanceof CosError ? error : undefined;
    if (e === undefined) deps.logger.warn({ err: error, method, resource }, 'cos request failed');
    if (res.headersSent || req.socket.destroyed) {
      res.destroy();
      return;
    }
    await drain(req);
    const status = e?.status ?? 500;
    const xml = method === 'HEAD' ? '' : errorXml(e?.code ?? 'InternalError', e?.message ?? 'Internal error.', requestId, resource);
    res.writeHead(status, { ...baseHeaders, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  }
}
