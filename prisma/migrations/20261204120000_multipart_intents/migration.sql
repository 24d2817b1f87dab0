-- Write-ahead for multipart uploads: a stored file is marked before CreateMultipartUpload is sent,
-- so an upload id that never reached the database (a crash, a lost answer) is still found: the
-- cleanup lists the multipart uploads open on the key and aborts them.
ALTER TABLE "stored_files" ADD COLUMN "multipart_intent" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "storage_cleanup" ADD COLUMN "list_multipart_uploads" BOOLEAN NOT NULL DEFAULT false;
