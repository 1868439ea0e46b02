// A wrong use of the package's API, which tsc must refuse: the test expects exactly this error, so a
// package whose declarations were not found (everything `any`) fails the test instead of passing it.
import { Mosaic } from 'mosaic-search';

export async function wrongQuery(db: Mosaic) {
  return db.search({ text: 42 }, { k: 3 });
}
