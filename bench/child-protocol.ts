/** What the bench parent passes to a measuring child (as JSON in BENCH_JOB) and gets back on stdout. */
export interface BenchJob {
  readonly kind: 'pipeline' | 'cos-sdk' | 'raw-put';
  readonly bytes: number;
  readonly partBytes: number;
  readonly concurrency: number;
  /** Emulator (or discarding server) endpoint, `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  readonly secretId: string;
  readonly secretKey: string;
  readonly region: string;
}

export interface BenchResult {
  readonly kind: BenchJob['kind'];
  readonly bytes: number;
  readonly seconds: number;
  /** Peak resident set size of the child, bytes. */
  readonly peakRssBytes: number;
  /** Peak of the pipeline's buffered-bytes gauge, when measured. */
  readonly bufferedHighWaterMark?: number;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';
