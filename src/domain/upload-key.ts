/** Identifies one upload: ids are per tenant. */
export interface UploadKey {
  readonly tenantId: string;
  readonly id: string;
}
