"""Files eclictl writes for the user: always 0600, always replaced atomically.

Exports, downloads and state files can hold personal data or secrets. Every one of them is
written to a temporary file (mode 0600) in the target's directory, flushed to disk, then moved
onto the target with os.replace. So a reader never sees a half-written file, an existing file's
looser mode (0644) is never kept, and a symlink at the target is replaced, never followed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

from eclictl.errors import UsageError


def _fail(path: Any, exc: OSError) -> UsageError:
    return UsageError(f"cannot write {path}: {exc.strerror or exc}")


class PrivateFile:
    """A 0600 temporary file beside its target; `commit(target)` moves it into place.

    Used as a context manager: leaving the block without a commit (an error, Ctrl-C, SIGTERM
    turned into an exception) removes the temporary file. `handle` is the open file object.
    """

    def __init__(self, directory: str | os.PathLike[str], *, binary: bool = False,
                 prefix: str = ".eclictl-", suffix: str = ".tmp") -> None:
        self.directory = Path(directory)
        try:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=self.directory)
        except OSError as exc:
            raise _fail(self.directory, exc) from None
        self.tmp = Path(name)
        self.committed: Path | None = None
        os.fchmod(fd, 0o600)
        self.handle: IO[Any] = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")

    def commit(self, target: str | os.PathLike[str]) -> Path:
        """Flush to disk, then atomically replace `target` (a symlink there is replaced, not followed)."""
        target = Path(target)
        if target.is_dir() and not target.is_symlink():
            raise UsageError(f"cannot write {target}: it is a directory")
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.replace(self.tmp, target)
        except OSError as exc:
            raise _fail(target, exc) from None
        self.committed = target
        return target

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        if self.committed is None:
            with contextlib.suppress(OSError):
                self.tmp.unlink()

    def __enter__(self) -> "PrivateFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()


def _directory_of(path: Path) -> Path:
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: directory {parent} does not exist")
    return parent


@contextlib.contextmanager
def open_private(path: str | os.PathLike[str], *, binary: bool = False) -> Iterator[IO[Any]]:
    """`with open_private(p) as fh: fh.write(...)`: p ends as a 0600 file, or stays as it was."""
    target = Path(path)
    if target.is_dir() and not target.is_symlink():
        raise UsageError(f"cannot write {target}: it is a directory")
    with PrivateFile(_directory_of(target), binary=binary, prefix=f".{target.name[:40]}.") as tmp:
        yield tmp.handle
        tmp.commit(target)


def write_private(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write text or bytes to `path` as a 0600 file replaced atomically; returns the path."""
    with open_private(path, binary=isinstance(data, bytes)) as fh:
        fh.write(data)
    return Path(path)


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create a directory for exported files (0700 when eclictl creates it)."""
    directory = Path(path)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"cannot create {directory}: a file with that name exists") from None
    except OSError as exc:
        raise UsageError(f"cannot create {directory}: {exc.strerror or exc}") from None
    return directory


EXPORT_NOTE = ("note: privacy mode masks what eclictl shows, not files you export: exported files hold "
               "the panel's real values")


def note_exports_unmasked(ctx: Any) -> None:
    """Say once per run, in privacy mode, that an export was written with real values."""
    if not ctx.redact_categories() or EXPORT_NOTE in ctx.notes:
        return
    ctx.notes.append(EXPORT_NOTE)
    ctx.io.stderr.write(EXPORT_NOTE + "\n")
