"""The content-addressed artifact store: datasets, ONNX models and reports, named by their SHA-256.

A file's address is the hex digest of its bytes, so the same bytes are stored once, a reader can
verify what it got, and an address never changes meaning. Files live under `root/ab/cd/<digest>`.
Writes go to a temporary file in the same directory tree and are renamed into place after an
fsync, so a crash leaves either the whole file or nothing. The store is a directory because that
is what one machine has; a shared volume (or an object store behind the same four methods) is what
several machines would mount.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
CHUNK_BYTES = 1 << 20


class ArtifactMissing(LookupError):
    """No artifact has this digest."""


@dataclass(frozen=True, slots=True)
class StoredArtifact:
    digest: str
    size_bytes: int
    path: Path


class ArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        if not _DIGEST.match(digest):
            raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def open(self, digest: str) -> BinaryIO:
        path = self.path(digest)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise ArtifactMissing(digest) from None

    def read_chunks(self, digest: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        with self.open(digest) as file:
            while chunk := file.read(chunk_bytes):
                yield chunk

    def put_bytes(self, data: bytes) -> StoredArtifact:
        return self.put_chunks([data])

    def put_file(self, source: Path) -> StoredArtifact:
        """Copy a file into the store (streamed: never more than one chunk in memory)."""
        with source.open("rb") as file:
            return self.put_chunks(iter(lambda: file.read(CHUNK_BYTES), b""))

    def put_chunks(self, chunks: Iterable[bytes]) -> StoredArtifact:
        with self.writer() as writer:
            for chunk in chunks:
                writer.write(chunk)
        return writer.stored

    async def put_async_chunks(self, chunks: AsyncIterable[bytes]) -> StoredArtifact:
        with self.writer() as writer:
            async for chunk in chunks:
                writer.write(chunk)
        return writer.stored

    @contextmanager
    def writer(self) -> Iterator[ArtifactWriter]:
        """Write incrementally; the artifact appears under its digest only if the block succeeds."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        writer = ArtifactWriter(self, os.fdopen(handle, "wb"), Path(name))
        try:
            yield writer
            writer.commit()
        finally:
            writer.discard()


class ArtifactWriter:
    def __init__(self, store: ArtifactStore, file: BinaryIO, temporary: Path) -> None:
        self._store = store
        self._file = file
        self._temporary = temporary
        self._hash = hashlib.sha256()
        self._size = 0
        self._stored: StoredArtifact | None = None

    @property
    def size_bytes(self) -> int:
        return self._size

    @property
    def temporary_path(self) -> Path:
        """The bytes written so far (flushed on `flush`), for validating before commit."""
        return self._temporary

    def write(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self._file.write(chunk)
        self._size += len(chunk)

    def flush(self) -> None:
        self._file.flush()

    @property
    def stored(self) -> StoredArtifact:
        if self._stored is None:
            raise RuntimeError("the artifact is not committed")
        return self._stored

    def commit(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        digest = self._hash.hexdigest()
        target = self._store.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._temporary, target)
        self._stored = StoredArtifact(digest, self._size, target)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self._temporary.unlink(missing_ok=True)
