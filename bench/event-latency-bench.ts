/**
 * A VOD event to the subscription (BENCH_SKIP_EVENTS=1 skips it): uploads with a task flow through the
 * real server process, each watched with uploadProgress(untilProcessed) over SSE, and the time from
 * the emulator finishing the task (it queues ProcedureStateChanged then) to the subscriber seeing
 * processing SUCCEEDED. Both clocks are this machine's. Target (DESIGN.md): p99 ≤ 1 s.
 *
 * Alone: `npm run build && tsx bench/event-latency-bench.ts`.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { subscribeSse } from '../test/support/subscriptions.ts';
import { sendMediaUpload } from '../test/support/multipart.ts';
import { startService, type RunningService } from './service.ts';

export interface EventLatencyResults {
  readonly uploads: number;
  /** Seconds from the task's end at the emulator to processing SUCCEEDED on the subscription. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

const SUBSCRIPTION = `subscription($id: ID!) { uploadProgress(id: $id, untilProcessed: true) { id status processing { status } } }`;

export const EVENT_BENCH_EMULATOR_ARGS = ['--procedure-duration-ms', '300'];

/** `service` must run its emulator with EVENT_BENCH_EMULATOR_ARGS (a short task flow). */
export async function runEventLatencyBench(service: RunningService, uploads = 40, inFlight = 4): Promise<EventLatencyResults> {
  const latencies: number[] = [];
  const queue = Array.from({ length: uploads }, (_, index) => index);
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) latencies.push(await oneUpload(service, next));
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  latencies.sort((a, b) => a - b);
  const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.ceil(share * latencies.length) - 1)]!;
  return { uploads: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies.at(-1)! };
}

async function oneUpload(service: RunningService, index: number): Promise<number> {
  const id = randomUUID();
  let processedAt: number | undefined;
  const watch = subscribeSse(service.url, service.key, SUBSCRIPTION, { id });
  const original = watch.events.push.bind(watch.events);
  watch.events.push = (...items) => {
    for (const item of items) {
      const upload = item['uploadProgress'] as { processing?: { status?: string } } | undefined;
      if (upload?.processing?.status === 'SUCCEEDED') processedAt ??= Date.now();
    }
    return original(...items);
  };
  await watch.ready;
  const { answer } = sendMediaUpload({
    url: service.url,
    key: service.key,
    filename: `event-${index}.mp4`,
    content: Buffer.alloc(256 * 1024, index),
    input: { id, procedure: 'bench-flow' },
  });
  const result = await answer;
  const fileId = (result.body.data?.['uploadMedia'] as { fileId?: string } | undefined)?.fileId;
  if (fileId === undefined) throw new Error(`event bench upload failed: ${JSON.stringify(result.body).slice(0, 300)}`);
  await watch.done;
  if (processedAt === undefined) throw new Error(`upload ${id}: the subscription ended without processing SUCCEEDED`);
  const media = (await (await fetch(`${service.emulator.vodEndpoint}/__emulator/media/${encodeURIComponent(fileId)}`)).json()) as {
    procedureTask?: { finishedAt?: number | string };
  };
  const finished = media.procedureTask?.finishedAt;
  if (finished === undefined) throw new Error(`media ${fileId}: the emulator reports no finished task`);
  const emittedAt = typeof finished === 'number' ? finished : Date.parse(finished);
  return (processedAt - emittedAt) / 1000;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const service = await startService({ partBytes: 8 * 1024 * 1024, concurrency: 4, emulatorArgs: EVENT_BENCH_EMULATOR_ARGS });
  try {
    const results = await runEventLatencyBench(service);
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } finally {
    await service.close();
  }
}
