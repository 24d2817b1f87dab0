import type { Logger } from '../logging/logger.ts';
import type { UploadRepository } from '../db/upload-repository.ts';

/** What every resolver receives. `tenantId` is always set: unauthenticated requests never reach GraphQL. */
export interface GraphQLContext {
  readonly tenantId: string;
  readonly requestId: string;
  readonly uploads: UploadRepository;
  readonly logger: Logger;
}
