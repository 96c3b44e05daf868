"""A run's history: the columnar chunk codec, its exports, the downsampled
series summaries that charts read, and compaction. Callers import from here.

`codec` and `sampling` are pure (numpy only); `compaction` reads and writes
the database.
"""

from .codec import (
    Column,
    DecodedChunk,
    EncodedChunk,
    RecordError,
    chunk_keys,
    decode_chunk,
    encode_chunk,
    export_csv,
    export_jsonl,
    merge_rows,
)

# Last: compaction reads the database through modules that import the names above.
from .compaction import run_history_compact  # noqa: E402
from .sampling import CAPACITY, Sampled, SeriesSummary, downsample_raw

__all__ = [
    "CAPACITY",
    "Column",
    "DecodedChunk",
    "EncodedChunk",
    "RecordError",
    "Sampled",
    "SeriesSummary",
    "chunk_keys",
    "decode_chunk",
    "downsample_raw",
    "encode_chunk",
    "export_csv",
    "export_jsonl",
    "merge_rows",
    "run_history_compact",
]
