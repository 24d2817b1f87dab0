import SchemaBuilder from '@pothos/core';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import type { GraphQLContext } from './context.ts';
import { DateTimeScalar, LongScalar } from './scalars.ts';

/** The Pothos builder: plugins, scalars and the context type. Types are defined in ./schema/*. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
    Long: { Input: number; Output: number | bigint };
    Upload: { Input: Promise<FileUpload>; Output: never };
  };
}>({ defaultFieldNullability: false });

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('Long', LongScalar);
builder.addScalarType('Upload', GraphQLUpload);
