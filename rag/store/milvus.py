"""The distributed vector store: a Milvus collection per index collection, through pymilvus.

`Config.milvus_uri` empty: milvus-lite, the Milvus project's embedded edition, in the file
`milvus.db` inside the index folder (one process at a time). A URI such as
`http://milvus:19530`: a Milvus server or cluster, with the token read from the environment
variable `Config.milvus_token_env` (never stored). Both are spoken to through the same
`MilvusClient`. Collections `<milvus_collection>_chunks` and `_sentences` hold (key,
document id, vector); up to `Config.ann_threshold` vectors they are searched exactly
(FLAT), above it through an HNSW graph. Writes change the collection in place, so readers of
the previous generation meet keys they do not know (they skip them) until they reload.

Left out: partitions, several indexes sharing one collection (each needs its own prefix).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Collection, Sequence

import numpy as np

from ..config import Config
from ..errors import VectorStoreError

LITE_FILE = "milvus.db"
UPSERT_ROWS = 5_000  # rows per request: gRPC messages stay under their size limit
DELETE_IDS = 1_000  # document ids per delete filter
HNSW_BUILD = {"M": 16, "efConstruction": 128}
HNSW_EF = 128  # graph nodes visited per search (at least k)


def describe(config: Config) -> dict[str, str]:
    """Where `config` puts the vectors: the URI as the manifest records it and the prefix."""
    return {"uri": config.milvus_uri or LITE_FILE, "prefix": config.milvus_collection}


class MilvusStore:
    """One collection of a Milvus server, or of a milvus-lite file."""

    kind = "milvus"

    def __init__(self, client: Any, name: str, collection: str, where: dict[str, str], search: str) -> None:
        self._client, self.name, self.collection, self.where, self.search_kind = client, name, collection, where, search

    @classmethod
    def create(cls, config: Config, name: str, dimension: int, *, index_dir: Path,
               size_hint: int = 0) -> "MilvusStore":
        """A new, empty collection (an old one of the same name is dropped)."""
        from pymilvus import DataType, MilvusClient

        client = _connect(config.milvus_uri or LITE_FILE, config, index_dir)
        collection = f"{config.milvus_collection}_{name}"
        search = "hnsw" if size_hint > config.ann_threshold else "exact"
        if client.has_collection(collection):
            client.drop_collection(collection)
        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("key", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=256)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        index = client.prepare_index_params()
        index.add_index(field_name="vector", metric_type="IP", index_type="HNSW" if search == "hnsw" else "FLAT",
                        params=HNSW_BUILD if search == "hnsw" else {})
        client.create_collection(collection, schema=schema, index_params=index, consistency_level="Strong")
        return cls(client, name, collection, describe(config), search)

    @classmethod
    def open(cls, entry: dict[str, Any], *, config: Config, index_dir: Path) -> "MilvusStore":
        """The collection a manifest entry names, loaded for search."""
        client = _connect(entry["uri"], config, index_dir)
        if not client.has_collection(entry["collection"]):
            raise ValueError(f"the Milvus collection {entry['collection']} at {entry['uri']} is gone")
        client.load_collection(entry["collection"])
        return cls(client, entry["name"], entry["collection"], {"uri": entry["uri"], "prefix": entry["prefix"]},
                   entry.get("search", "exact"))

    def add(self, keys: np.ndarray, doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Upsert rows (key, document, vector), a slice per request."""
        vectors = np.asarray(vectors, dtype=np.float32)
        for start in range(0, len(keys), UPSERT_ROWS):
            rows = [{"key": int(k), "doc_id": d, "vector": v}
                    for k, d, v in zip(keys[start:start + UPSERT_ROWS].tolist(), doc_ids[start:start + UPSERT_ROWS],
                                       vectors[start:start + UPSERT_ROWS].tolist())]
            self._client.upsert(self.collection, rows)

    def delete_documents(self, doc_ids: Collection[str]) -> None:
        """Delete the rows of these documents (by a filter on the document id)."""
        ids = sorted(doc_ids)
        for start in range(0, len(ids), DELETE_IDS):
            quoted = ", ".join(f'"{d}"' for d in ids[start:start + DELETE_IDS])
            self._client.delete(self.collection, filter=f"doc_id in [{quoted}]")

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(cosines, keys) of the `k` nearest rows per query, best first (-1 pads)."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        params: dict[str, Any] = {"metric_type": "IP"}
        if self.search_kind == "hnsw":
            params["params"] = {"ef": max(HNSW_EF, k)}
        hits = self._client.search(self.collection, data=queries.tolist(), limit=k, search_params=params,
                                   output_fields=["key"])
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        keys = np.full((len(queries), k), -1, dtype=np.int64)
        for q, found in enumerate(hits):
            for j, hit in enumerate(found[:k]):
                scores[q, j], keys[q, j] = hit["distance"], hit["key"]
        return scores, keys

    def count(self) -> int:
        """Rows in the collection now (deleted rows not counted)."""
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def persist(self, folder: Path) -> dict[str, Any]:
        """Flush the collection; its manifest entry (where it is, not the token)."""
        self._client.flush(self.collection)
        return {"kind": self.kind, "name": self.name, "collection": self.collection, **self.where,
                "search": self.search_kind, "count": self.count()}

    def fork(self, config: Config, size: int) -> "MilvusStore | None":
        """Itself, if `config` names the same place and kind of search: a write updates the
        collection in place."""
        wanted = "hnsw" if size > config.ann_threshold else "exact"
        same = config.vector_store == "milvus" and describe(config) == self.where and wanted == self.search_kind
        return self if same else None


_CLIENTS: dict[tuple[str, str], Any] = {}  # one client per server: milvus-lite allows one per file


def _connect(uri: str, config: Config, index_dir: Path) -> Any:
    """A client for `uri` (a milvus-lite file relative to the index folder, or a server URI)."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    remote = "://" in uri
    target = uri if remote else str((Path(index_dir) / uri).absolute())
    token = os.environ.get(config.milvus_token_env, "") if remote else ""
    if (target, token) not in _CLIENTS:
        try:
            _CLIENTS[(target, token)] = MilvusClient(uri=target, token=token)
        except MilvusException as exc:
            raise VectorStoreError(f"cannot reach Milvus at {uri}: {exc}") from exc
    return _CLIENTS[(target, token)]


def close_clients() -> None:
    """Close every client this process opened (milvus-lite lets one process at a time hold
    its file: close before another process opens it)."""
    lite = [target for target, _ in _CLIENTS if "://" not in target]
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        client.close()
    if lite:
        from milvus_lite.server_manager import server_manager_instance

        for target in lite:  # the embedded server holds the file until released
            server_manager_instance.release_server(target)
