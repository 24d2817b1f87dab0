import { Kind, OperationTypeNode, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/** Root fields that read the schema, not data. */
const INTROSPECTION_FIELDS = new Set(['__schema', '__type', '__typename']);

/**
 * Whether every operation in the document is a query whose root selects only introspection fields
 * (`__schema`, `__type`, `__typename`), through fragments as well. Such a request reads the schema
 * (what GraphiQL's docs need), never an upload.
 */
export function isIntrospectionOnly(document: DocumentNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let operations = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    operations++;
    if (definition.operation !== OperationTypeNode.QUERY || !selectsOnlyIntrospection(definition.selectionSet, fragments, new Set())) return false;
  }
  return operations > 0;
}

function selectsOnlyIntrospection(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): boolean {
  return selectionSet.selections.every((selection) => {
    switch (selection.kind) {
      case Kind.FIELD:
        return INTROSPECTION_FIELDS.has(selection.name.value);
      case Kind.INLINE_FRAGMENT:
        return selectsOnlyIntrospection(selection.selectionSet, fragments, visiting);
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment === undefined || visiting.has(name)) return false;
        visiting.add(name);
        const only = selectsOnlyIntrospection(fragment.selectionSet, fragments, visiting);
        visiting.delete(name);
        return only;
      }
    }
  });
}
