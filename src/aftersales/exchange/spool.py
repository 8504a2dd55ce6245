"""The validated rows of an import, kept on disk between the dry run and the import.

The dry run reads the file once and appends each batch of valid rows (row number, dataclass) here;
the import reads them back instead of parsing the file a second time. Batches are pickled, so each
is signed with an HMAC of the secret key: a file placed or altered by anyone else is refused, never
unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

_HEADER = struct.Struct(">I32s")  # payload length, HMAC-SHA256


class DamagedSpool(Exception):
    """The spool is missing, truncated or not signed by this installation."""


def _key() -> bytes:
    return hashlib.sha256(("aftersales.exchange.spool:" + settings.SECRET_KEY).encode()).digest()


def path_for(upload_path: str | Path) -> Path:
    return Path(upload_path).with_suffix(".rows")


class SpoolWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("wb")

    def write(self, batch: list[tuple[int, Any]]) -> None:
        payload = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
        mac = hmac.new(_key(), payload, hashlib.sha256).digest()
        self._fh.write(_HEADER.pack(len(payload), mac))
        self._fh.write(payload)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> SpoolWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read(path: Path) -> Iterator[list[tuple[int, Any]]]:
    """The batches in the order they were written."""
    if not path.exists():
        raise DamagedSpool(str(path))
    key = _key()
    with path.open("rb") as fh:
        while header := fh.read(_HEADER.size):
            if len(header) != _HEADER.size:
                raise DamagedSpool(str(path))
            length, mac = _HEADER.unpack(header)
            payload = fh.read(length)
            if len(payload) != length or not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()):
                raise DamagedSpool(str(path))
            yield pickle.loads(payload)  # noqa: S301 (signed above with this installation's secret key)


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
