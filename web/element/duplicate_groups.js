// Near-duplicates as the core marks them (result.duplicateOf: shared/search/near_duplicates.hpp): one
// card per group, its copies folded under it as "N similar". The decision is the core's; this only
// places the cards. A copy whose first result is not in the list (never, from the core) keeps its card.
export function foldDuplicates(results) {
  const groups = new Map();
  const folded = [];
  for (const result of results) {
    const group = result.duplicateOf !== undefined ? groups.get(result.duplicateOf) : undefined;
    if (group) {
      group.similarResults.push(result);
      continue;
    }
    const card = { ...result, similarResults: [] };
    groups.set(result.id, card);
    folded.push(card);
  }
  return folded;
}
