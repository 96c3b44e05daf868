"""Molecules (``wandb.Molecule``): a structure file stored as it is, offered for download."""

from __future__ import annotations

import os

from ._base import Media, _Writer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

SUPPORTED_TYPES = ("pdb", "pqr", "mmcif", "mcif", "cif", "sdf", "sd", "gro", "mol2", "mmtf")


class Molecule(Media):
    """A molecule: a path to (or an open file of) a pdb, pqr, mmcif, mcif, cif, sdf, sd,
    gro, mol2 or mmtf file; ``file_type`` names the format of a file object without a name.
    Stored as it is; the run page offers it for download (no 3-D viewer).

    >>> import io
    >>> Molecule(io.StringIO("ATOM      1  N   ALA A   1"), file_type="pdb").format
    'pdb'
    """

    kind = "molecule"

    def __init__(self, data_or_path: Any, caption: Optional[str] = None, file_type: Optional[str] = None,
                 **kwargs: Any) -> None:
        self.caption = None if caption is None else str(caption)
        if isinstance(data_or_path, (str, os.PathLike)):
            name = os.fspath(data_or_path)
            with open(name, "rb") as fh:
                raw: Any = fh.read()
        elif hasattr(data_or_path, "read"):
            name = str(getattr(data_or_path, "name", "") or "")
            raw = data_or_path.read()
        else:
            raise ValueError("Molecule takes a path or a file object (from_rdkit and from_smiles need RDKit: not supported)")
        ext = (file_type or os.path.splitext(name)[1].lstrip(".")).lower()
        if ext not in SUPPORTED_TYPES:
            raise ValueError(f"a molecule file is one of {', '.join(SUPPORTED_TYPES)}, not {ext or 'unnamed'!r}")
        self.data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        if not self.data:
            raise ValueError("an empty molecule file")
        self.format = ext

    def _write(self, out: _Writer) -> dict[str, Any]:
        ref: dict[str, Any] = {"_type": "molecule", **out.file("molecule", self.data, self.format), "format": self.format}
        if self.caption is not None:
            ref["caption"] = self.caption
        return ref
