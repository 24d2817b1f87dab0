/**
 * Admin endpoints under `/__emulator/` (no authentication; bind the emulator to loopback):
 * state, counters, media records, multipart uploads, objects, queued events, faults, temporary VOD credentials.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { CredentialStore } from './credentials.ts';
import type { Faults } from './faults.ts';
import { parseQuery, readBody, sendJson, splitTarget } from './http-util.ts';
import type { EmulatorState } from './state.ts';

export const ADMIN_PREFIX = '/__emulator';

const vodErrorSchema = z.object({ code: z.string().min(1), message: z.string().optional(), action: z.string().optional() }).strict();
const procedureFaultSchema = z.object({ code: z.string().min(1), message: z.string().optional(), procedure: z.string().optional() }).strict();
const share = z.number().min(0).max(1);
const partNumbers = z.array(z.number().int().min(1).max(10000));
export const faultOptionsSchema = z
  .object({
    failPartRate: share.optional(),
    failPartNumbers: partNumbers.optional(),
    failStatus: z.union([z.literal(500), z.literal(503)]).optional(),
    failTimes: z.number().int().min(0).optional(),
    resetPartRate: share.optional(),
    resetPartNumbers: partNumbers.optional(),
    resetAfterBytes: z.number().int().min(0).optional(),
    resetTimes: z.number().int().min(0).optional(),
    includePutObject: z.boolean().optional(),
    delayMs: z.number().int().min(0).max(600_000).optional(),
    vodErrors: z.array(vodErrorSchema).optional(),
    failProcedure: z.array(procedureFaultSchema).optional(),
    duplicateEvents: z.boolean().optional(),
    delayEventsMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict();

export interface AdminDeps {
  readonly state: EmulatorState;
  readonly faults: Faults;
  readonly credentials: CredentialStore;
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, 1024 * 1024);
  return body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as unknown);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, deps: AdminDeps): Promise<void> {
  const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
  const path = rawPath.slice(ADMIN_PREFIX.length) || '/';
  const query = parseQuery(rawQuery);
  const method = req.method ?? 'GET';
  const route = `${method} ${path.replace(/^\/media\/.+$/, '/media/:fileId')}`;
  try {
    switch (route) {
      case 'GET /health':
        return sendJson(res, 200, { ok: true });
      case 'GET /state':
        return sendJson(res, 200, {
          counters: deps.state.counters,
          multipartUploads: deps.state.multipartUploads(),
          pendingSessions: deps.state.pendingSessions().length,
          media: deps.state.mediaRecords().length,
          events: deps.state.events().length,
        });
      case 'GET /counters':
        return sendJson(res, 200, deps.state.counters);
      case 'POST /counters/reset':
        deps.state.resetCounters();
        return sendJson(res, 200, deps.state.counters);
      case 'GET /media':
        return sendJson(res, 200, deps.state.mediaRecords());
      case 'GET /media/:fileId': {
        const record = deps.state.mediaRecord(decodeURIComponent(path.slice('/media/'.length)));
        return record === undefined ? sendJson(res, 404, { error: 'no such FileId' }) : sendJson(res, 200, record);
      }
      case 'GET /sessions':
        return sendJson(res, 200, deps.state.pendingSessions());
      case 'GET /uploads':
        return sendJson(res, 200, deps.state.multipartUploads(query.get('bucket'), query.get('prefix')));
      case 'GET /objects':
        return sendJson(res, 200, deps.state.objects(query.get('bucket') ?? '', query.get('prefix')));
      case 'GET /faults':
        return sendJson(res, 200, deps.faults.get());
      case 'PUT /faults':
        deps.faults.set(faultOptionsSchema.parse(await jsonBody(req)));
        return sendJson(res, 200, deps.faults.get());
      case 'PATCH /faults':
        deps.faults.update(faultOptionsSchema.parse(await jsonBody(req)));
        return sendJson(res, 200, deps.faults.get());
      case 'DELETE /faults':
        deps.faults.clear();
        return sendJson(res, 200, deps.faults.get());
      case 'POST /faults/vod-error': {
        const f = vodErrorSchema.parse(await jsonBody(req));
        deps.faults.failNextVod(f.code, { action: f.action, message: f.message });
        return sendJson(res, 200, deps.faults.get());
      }
      case 'POST /faults/procedure-failure': {
        const f = procedureFaultSchema.parse(await jsonBody(req));
        deps.faults.failNextProcedure(f.code, { procedure: f.procedure, message: f.message });
        return sendJson(res, 200, deps.faults.get());
      }
      case 'GET /events': {
        const sub = query.get('subAppId');
        return sendJson(res, 200, deps.state.events(sub === undefined || sub === '' ? undefined : Number(sub)));
      }
      case 'POST /credentials': {
        const ttl = z.object({ ttlSeconds: z.number().int().min(1).optional() }).parse(await jsonBody(req)).ttlSeconds ?? 3600;
        const c = await deps.credentials.issue('vod', ttl);
        return sendJson(res, 200, { secretId: c.secretId, secretKey: c.secretKey, token: c.token, expiredTime: c.expiredTime });
      }
      default:
        return sendJson(res, 404, { error: `no admin route ${route}` });
    }
  } catch (error) {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : error instanceof Error ? error.message : String(error);
    return sendJson(res, 400, { error: message });
  }
}
