/**
 * Points Tencent's vod-node-sdk (1.1.0, a devDependency used only by `npm run bench`) at a local
 * emulator, otherwise unchanged. Call before vod-node-sdk is first required: its client captures
 * the VOD client class at load time.
 *   - VodClient: with no profile given (as vod-node-sdk does), it gets TC3-HMAC-SHA256 over
 *     http://ENDPOINT (the SDK's default legacy v1 signing is not what the emulator verifies).
 *   - The COS SDK it bundles: requests go path-style to http://ENDPOINT/{Bucket}.
 */
import { createRequire } from 'node:module';

type Constructor = new (...args: unknown[]) => object;

export function pointVodSdkAt(endpoint: string): void {
  const require = createRequire(import.meta.url);
  const sdkRequire = createRequire(require.resolve('vod-node-sdk'));

  const cloud = sdkRequire('tencentcloud-sdk-nodejs') as { vod: { v20180717: { Client: Constructor } } };
  const ClientProfile = sdkRequire('tencentcloud-sdk-nodejs/tencentcloud/common/profile/client_profile') as Constructor;
  const HttpProfile = sdkRequire('tencentcloud-sdk-nodejs/tencentcloud/common/profile/http_profile') as Constructor;
  const OriginalVodClient = cloud.vod.v20180717.Client;
  class LocalVodClient extends OriginalVodClient {
    constructor(...[credential, region, profile]: unknown[]) {
      super(credential, region, profile ?? new ClientProfile('TC3-HMAC-SHA256', new HttpProfile('http://', endpoint, 'POST', 60)));
    }
  }
  cloud.vod.v20180717.Client = LocalVodClient;

  const cosPath = sdkRequire.resolve('cos-nodejs-sdk-v5');
  const OriginalCOS = sdkRequire('cos-nodejs-sdk-v5') as Constructor;
  function LocalCOS(options: Record<string, unknown>): object {
    return new OriginalCOS({ ...options, Domain: `${endpoint}/{Bucket}`, Protocol: 'http:' });
  }
  Object.assign(LocalCOS, OriginalCOS);
  LocalCOS.prototype = OriginalCOS.prototype as object;
  const cached = require.cache[cosPath];
  if (cached === undefined) throw new Error('vod-sdk-preload: cos-nodejs-sdk-v5 not in the require cache');
  cached.exports = LocalCOS;
}
