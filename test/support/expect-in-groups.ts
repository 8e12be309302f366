/**
 * Asserts that `actual` is `groups` in order, each group in any order: a wave's pushes are
 * recorded as each settles, and a rollback schedules its restores newest wave first.
 */
export function expectInGroups<T>(actual: T[], groups: T[][]): void {
  const key = (x: T) => JSON.stringify(x);
  let at = 0;
  const seen = groups.map((group) => {
    const chunk = actual.slice(at, at + group.length);
    at += group.length;
    return chunk.map(key).sort();
  });
  expect({ seen, rest: actual.slice(at) }).toEqual({ seen: groups.map((g) => g.map(key).sort()), rest: [] });
}
