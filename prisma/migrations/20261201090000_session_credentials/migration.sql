-- The temporary storage key ApplyUpload granted an upload's session, kept while the upload may still
-- be resumed: on Tencent VOD only it may write to the session's path in VOD's bucket. The secret key
-- and token are sealed (AES-256-GCM) by the service; all three are cleared when the upload ends.
ALTER TABLE "uploads"
    ADD COLUMN "session_credential_id" TEXT,
    ADD COLUMN "session_credential_sealed" TEXT,
    ADD COLUMN "session_credential_expires_at" TIMESTAMPTZ(3);
