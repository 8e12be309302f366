import { buildSchema, parse, validate } from 'graphql';
import { depthLimitRule, MAX_QUERY_DEPTH } from './limits';

/** Sluice's own schema is too shallow to reach the limit, so the rule is checked on a recursive one. */
const schema = buildSchema('type Node { name: String, child: Node } type Query { root: Node }');
const queryOfDepth = (depth: number) => `{ root { ${'child { '.repeat(depth - 1)}name${' }'.repeat(depth - 1)} } }`;

describe('query depth limit', () => {
  it(`accepts ${MAX_QUERY_DEPTH} levels`, () => {
    expect(validate(schema, parse(queryOfDepth(MAX_QUERY_DEPTH)), [depthLimitRule])).toEqual([]);
  });

  it(`refuses ${MAX_QUERY_DEPTH + 1} levels, naming the limit`, () => {
    const errors = validate(schema, parse(queryOfDepth(MAX_QUERY_DEPTH + 1)), [depthLimitRule]);
    expect(errors.map((e) => e.message)).toEqual([`'' exceeds maximum operation depth of ${MAX_QUERY_DEPTH}`]);
  });
});
