"""A run's history: the columnar chunk codec, its exports, the downsampled
series summaries that charts read, and compaction. Callers import from here.

`codec` (the payload layout, decoding), `encode`, `export` and `sampling` are
pure (numpy only); `compaction` reads and writes the database.
"""

from .codec import Column, DecodedChunk, chunk_keys, decode_chunk, merge_rows
from .encode import (
    MAX_DEPTH,
    MAX_KEY_LENGTH,
    MAX_VALUE_BYTES,
    EncodedChunk,
    RecordError,
    encode_chunk,
)
from .export import export_csv, export_jsonl
from .sampling import CAPACITY, Sampled, SeriesSummary, downsample_raw

# isort: split
# Last: compaction reads the database through modules that import the names above.
from .compaction import TARGET_ROWS, chunk_records, run_history_compact, run_history_mergeable  # noqa: E402

__all__ = [
    "CAPACITY",
    "MAX_DEPTH",
    "MAX_KEY_LENGTH",
    "MAX_VALUE_BYTES",
    "TARGET_ROWS",
    "Column",
    "DecodedChunk",
    "EncodedChunk",
    "RecordError",
    "Sampled",
    "SeriesSummary",
    "chunk_keys",
    "chunk_records",
    "decode_chunk",
    "downsample_raw",
    "encode_chunk",
    "export_csv",
    "export_jsonl",
    "merge_rows",
    "run_history_compact",
    "run_history_mergeable",
]
