import type { DirectUploads } from '../direct/direct-uploads.ts';
import type { Logger } from '../logging/logger.ts';
import type { UploadRepository } from '../db/upload-repository.ts';
import type { UploadPubSub } from '../uploads/upload-events.ts';
import type { UploadService } from '../uploads/upload-service.ts';
import type { MediaService } from '../media/media-service.ts';
import type { WebhookEndpoints } from '../webhooks/webhook-endpoints.ts';

/** The services resolvers call, the same for every request. */
export interface ResolverServices {
  readonly uploads: UploadRepository;
  readonly uploadService: UploadService;
  readonly media: MediaService;
  readonly directUploads: DirectUploads;
  readonly pubsub: UploadPubSub;
  readonly webhooks: WebhookEndpoints;
}

/** What every resolver receives. `tenantId` is always set: unauthenticated requests never reach GraphQL. */
export interface GraphQLContext extends ResolverServices {
  readonly tenantId: string;
  readonly requestId: string;
  /** File bytes in this request's multipart body, from its Content-Length (absent when chunked). */
  readonly requestFileBytes?: number | undefined;
  /** Aborts when the client's connection goes away. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}
