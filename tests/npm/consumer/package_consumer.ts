// A TypeScript program that uses the installed npm package through its own name and exports, as a
// site's code would: the main export, the bundler entry and the element. tests/npm/npm_package.test.mjs
// copies it into a scratch project that installed the packed tarball and runs tsc --strict --noEmit
// over it, so the declarations are checked as the package ships them (package.json's `types`
// conditions), not as they sit in the source tree.
import DefaultMosaic, { Mosaic, MosaicError, memoryStore } from 'mosaic-search';
import type { OpenOptions, SearchAnswer, SearchResult } from 'mosaic-search';
import { Mosaic as BundledMosaic } from 'mosaic-search/bundled';
import { MosaicSearchElement } from 'mosaic-search/element';

export const sameClass: typeof Mosaic = DefaultMosaic;
export const bundledClass: typeof Mosaic = BundledMosaic;

export async function topTitles(indexUrl: string, text: string): Promise<string[]> {
  const options: OpenOptions = { storage: memoryStore(), modelBaseUrl: '/model/' };
  const db: Mosaic = await Mosaic.open(indexUrl, options);
  try {
    const answer: SearchAnswer = await db.search({ text }, { k: 3 });
    return answer.results.map((result: SearchResult) => `${result.item.title} ${result.score.toFixed(3)}`);
  } finally {
    db.close();
  }
}

export function elementState(): string {
  const element: MosaicSearchElement = document.createElement('mosaic-search');
  const open: Mosaic | undefined = element.db;
  return open === undefined ? element.getAttribute('index') ?? 'no index' : 'open';
}

export function describeError(error: unknown): string {
  return error instanceof MosaicError ? `${error.code}: ${error.message}` : String(error);
}
