// apollo-upload-client ships JavaScript with JSDoc types only (read with allowJs, which this project
// does not turn on): the options the tests use, as its UploadHttpLink documents them.
declare module 'apollo-upload-client/UploadHttpLink.mjs' {
  import { ApolloLink } from '@apollo/client';

  export interface UploadHttpLinkOptions {
    uri?: string;
    headers?: Record<string, string>;
    fetch?: typeof fetch;
    fetchOptions?: RequestInit;
    formDataAppendFile?: (formData: FormData, fieldName: string, file: Blob) => void;
  }

  export default class UploadHttpLink extends ApolloLink {
    constructor(options?: UploadHttpLinkOptions);
  }
}
