/** Request counters per kind, so tests can assert how many calls of each sort happened. */

export const COUNTER_NAMES = [
  // VOD API
  'vod.ApplyUpload',
  'vod.CommitUpload',
  'vod.ParseStreamingManifest',
  'vod.ModifyMediaInfo',
  'vod.PullEvents',
  'vod.ConfirmEvents',
  'vod.DescribeMediaInfos',
  'vod.DeleteMedia',
  'vod.error',
  // VOD client-upload API (vod-js-sdk-v6)
  'ugc.ApplyUploadUGC',
  'ugc.CommitUploadUGC',
  'ugc.error',
  // COS XML API
  'cos.putObject',
  'cos.initiateMultipart',
  'cos.uploadPart',
  'cos.completeMultipart',
  'cos.abortMultipart',
  'cos.listParts',
  'cos.listMultipartUploads',
  'cos.getObject',
  'cos.headObject',
  'cos.deleteObject',
  'cos.error',
  // Who signed COS requests, and refusals of the permanent key on VOD session paths
  'cos.signedPermanent',
  'cos.signedTemporary',
  'cos.permanentKeyRefused',
  // Injected faults
  'fault.partFailure',
  'fault.reset',
  'fault.vodError',
  'fault.delay',
  'fault.procedureFailure',
  // Events queued (each copy counts) and procedure tasks finished
  'event.published',
  'procedure.finished',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

export class Counters {
  private readonly values = new Map<CounterName, number>();
  /** Signed COS requests per secret id (a handful of keys: the permanent one and the sessions'). */
  private readonly signers = new Map<string, number>();

  increment(name: CounterName, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  countSigner(secretId: string): void {
    this.signers.set(secretId, (this.signers.get(secretId) ?? 0) + 1);
  }

  signedBy(secretId: string): number {
    return this.signers.get(secretId) ?? 0;
  }

  get(name: CounterName): number {
    return this.values.get(name) ?? 0;
  }

  snapshot(): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    for (const name of COUNTER_NAMES) out[name] = this.get(name);
    return out;
  }

  reset(): void {
    this.values.clear();
    this.signers.clear();
  }
}
