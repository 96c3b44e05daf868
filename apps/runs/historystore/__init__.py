"""The history store's pure core: chunk codec and per-series downsampled summaries."""

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
]
