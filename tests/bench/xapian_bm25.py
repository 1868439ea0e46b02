#!/usr/bin/python3
"""Xapian's BM25 over a BEIR corpus, a keyword peer of tests/bench/keyword_peers_benchmark.mjs.

Indexes every passage (title and text, as BEIR gives them; the id `_id` is the document's data) into an
on-disk Xapian database with Xapian's English stemmer (TermGenerator, STEM_SOME: stemmed terms beside
the unstemmed ones, as Xapian's own examples index), parses each query with QueryParser (English
stemmer, STEM_SOME, default operator OR, Xapian's default flags) and ranks the first TOP passages with
BM25Weight: Xapian's defaults (k1 1, k2 0, k3 1, b 0.5, min_normlen 0.5), or k1 and b as given.

Usage: xapian_bm25.py CORPUS.jsonl QUERIES.jsonl DATABASE_DIR [--k1 K1 --b B] [--top N]
Prints one rankings line per query on stdout, {"query": id, "passages": [ids...]}, then a summary on
stderr as its last line: {"build_seconds", "query_milliseconds": [one per query], "index_bytes",
"xapian": version}. DATABASE_DIR is emptied first; its size after building is index_bytes.

Runs under Debian's /usr/bin/python3, where python3-xapian installs its module
(scripts/install-dependencies.sh bench).
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import time

import xapian


def read_lines(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(folder, name))
               for folder, _, names in os.walk(path) for name in names)


def build(corpus, database_path):
    shutil.rmtree(database_path, ignore_errors=True)
    database = xapian.WritableDatabase(database_path, xapian.DB_CREATE_OR_OVERWRITE)
    generator = xapian.TermGenerator()
    generator.set_stemmer(xapian.Stem("english"))
    generator.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
    for passage in corpus:
        document = xapian.Document()
        generator.set_document(document)
        # BEIR titles (all empty in MS MARCO) and text as one field each, both in the default field
        # that the query parser searches: a title word adds to the passage's term frequency as a word
        # of the text does, as the other peers with default field boosts do.
        if passage.get("title"):
            generator.index_text(passage["title"])
            generator.increase_termpos()
        generator.index_text(passage["text"])
        document.set_data(passage["_id"])
        database.add_document(document)
    database.commit()
    return database


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("queries")
    parser.add_argument("database")
    parser.add_argument("--k1", type=float, help="BM25's k1 (default: Xapian's, 1)")
    parser.add_argument("--b", type=float, help="BM25's b (default: Xapian's, 0.5)")
    parser.add_argument("--top", type=int, default=100)
    arguments = parser.parse_args()
    if (arguments.k1 is None) != (arguments.b is None):
        parser.error("--k1 and --b go together")

    corpus = read_lines(arguments.corpus)
    queries = read_lines(arguments.queries)

    started = time.perf_counter()
    database = build(corpus, arguments.database)
    build_seconds = time.perf_counter() - started

    enquire = xapian.Enquire(database)
    if arguments.k1 is None:
        enquire.set_weighting_scheme(xapian.BM25Weight())
    else:
        # BM25Weight(k1, k2, k3, b, min_normlen): k2, k3 and min_normlen at Xapian's defaults.
        enquire.set_weighting_scheme(xapian.BM25Weight(arguments.k1, 0, 1, arguments.b, 0.5))
    query_parser = xapian.QueryParser()
    query_parser.set_stemmer(xapian.Stem("english"))
    query_parser.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
    query_parser.set_database(database)
    query_parser.set_default_op(xapian.Query.OP_OR)

    def rank(text):
        enquire.set_query(query_parser.parse_query(text))
        return [match.document.get_data().decode("utf-8") for match in enquire.get_mset(0, arguments.top)]

    for query in queries[:3]:  # warm-up, as the JavaScript peers get
        rank(query["text"])
    query_milliseconds = []
    for query in queries:
        started = time.perf_counter()
        passages = rank(query["text"])
        query_milliseconds.append((time.perf_counter() - started) * 1000)
        print(json.dumps({"query": query["_id"], "passages": passages}))
    database.close()
    summary = {
        "build_seconds": build_seconds,
        "query_milliseconds": query_milliseconds,
        "median_query_milliseconds": statistics.median(query_milliseconds),
        "index_bytes": directory_bytes(arguments.database),
        "xapian": xapian.version_string(),
    }
    print(json.dumps(summary), file=sys.stderr)


if __name__ == "__main__":
    main()
