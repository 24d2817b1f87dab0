import { EnvelopArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationContext } from 'graphql';

/**
 * What one GraphQL operation may ask for, enforced by graphql-armor before it runs. Sized so every
 * operation of this API (and GraphiQL's introspection query, ~190 tokens, depth 13) fits with room,
 * while a flood of aliases, deep nesting or a giant document is refused at once. Documented in the
 * README ("Query limits"); `uploads(first:)` is capped separately (MAX_PAGE_SIZE).
 */
export const QUERY_LIMITS = {
  /** Tokens in the document; counted while lexing, so a giant document is refused before it is parsed. */
  maxTokens: 1_000,
  /** Nesting of selections (the API's deepest useful query is 5: uploads.edges.node.files.path). */
  maxDepth: 10,
  /** Aliased fields in an operation. */
  maxAliases: 15,
  /** Directives in an operation. */
  maxDirectives: 10,
  /**
   * graphql-armor's static cost: objects 2, scalars 1, ×1.5 per level. One page of uploads with every
   * field costs about 14 000; two such pages in one operation are refused.
   */
  maxCost: 20_000,
} as const;

/** Largest request body of a GraphQL operation sent as JSON (uploads go as multipart, outside this). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * Every refusal is a client error with a code, never an InternalError: reported as a validation error
 * where there is a validation context, thrown from the parser (max tokens) where there is none.
 */
const refuse = (context: ValidationContext | null, error: GraphQLError): void => {
  const refusal = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'LimitExceeded' } });
  if (context === null) throw refusal;
  context.reportError(refusal);
};
const callbacks = { onReject: [refuse], propagateOnRejection: false, exposeLimits: true };

/** The envelop plugins yoga runs: max tokens (at parse), then depth, aliases, directives and cost (at validation). */
export function queryLimitPlugins(): ReturnType<EnvelopArmor['protect']>['plugins'] {
  return new EnvelopArmor({
    maxTokens: { n: QUERY_LIMITS.maxTokens, ...callbacks },
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...callbacks },
    maxAliases: { n: QUERY_LIMITS.maxAliases, ...callbacks },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...callbacks },
    costLimit: { maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true, flattenFragments: true, ...callbacks },
    // Suggestions ("did you mean …") stay: they help, and the schema is public (introspection is open).
    blockFieldSuggestion: { enabled: false },
  }).protect().plugins;
}
