import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { startEmulator, type RunningEmulator } from '../../src/emulator/emulator.ts';
import { createPipelineDependencies } from '../../src/runtime/pipeline-dependencies.ts';
import { describeVodBackendContract } from './vod-backend.contract.ts';

const settings = { partBytes: 1024 * 1024, defaultConcurrency: 2 };

let emulator: RunningEmulator;
let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'contract-'));
  emulator = await startEmulator({ port: 0, dataDir });
});
after(async () => {
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
});

describeVodBackendContract({
  name: 'local emulator',
  region: 'ap-guangzhou',
  deps: () =>
    createPipelineDependencies(
      { secretId: emulator.secretId, secretKey: emulator.secretKey, vodEndpoint: emulator.vodEndpoint, cosEndpoint: emulator.cosEndpoint },
      settings,
    ),
});

// The same contract against Tencent Cloud, only where a machine can reach it and keys are given:
// VOD_CONTRACT_TENCENT=1 TENCENTCLOUD_SECRET_ID=… TENCENTCLOUD_SECRET_KEY=… [VOD_CONTRACT_SUB_APP_ID=…] npm test -- contracts
const env = process.env;
if (env['VOD_CONTRACT_TENCENT'] === '1' && env['TENCENTCLOUD_SECRET_ID'] && env['TENCENTCLOUD_SECRET_KEY']) {
  const access = {
    secretId: env['TENCENTCLOUD_SECRET_ID'],
    secretKey: env['TENCENTCLOUD_SECRET_KEY'],
    sessionToken: env['TENCENTCLOUD_SESSION_TOKEN'],
  };
  describeVodBackendContract({
    name: 'Tencent Cloud',
    region: env['VOD_REGION'] ?? 'ap-guangzhou',
    subAppId: env['VOD_CONTRACT_SUB_APP_ID'] === undefined ? undefined : Number(env['VOD_CONTRACT_SUB_APP_ID']),
    deps: () => createPipelineDependencies(access, settings),
  });
}
