"""Outputs that a crash cannot destroy: written beside ``--out``, renamed into place.

A command's output goes to ``<folder>/.<name>.<pid>.tmp/<name>`` and is moved over ``--out``
with one ``os.replace`` once it is complete, so ``--out`` holds the previous output or the new
one, never a part. An output that is a folder (Spark's part files), or one that replaces a
folder, takes two renames: the old output out of the way, then the new one in; between them
``--out`` is briefly absent, never partial. Whatever a writer leaves in the temporary folder
(its own temporary files included) goes with it. A process killed mid-write (SIGKILL, power
loss) cannot clean up; the next command writing the same output removes the folders of
processes that are gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_output"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _sweep(target: Path) -> None:
    """Remove temporary folders for ``target`` left by processes that no longer run."""
    prefix = f".{target.name}."
    for leftover in target.parent.glob(f"{prefix}*.tmp"):
        pid = leftover.name[len(prefix) : -len(".tmp")]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def atomic_output(out: str | os.PathLike[str]) -> Iterator[Path]:
    """The path to write ``out`` to; renamed over ``out`` when the block ends without error.

    On an error the partial output is removed and ``out`` is left as it was.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "scores.txt").write_text("old")
    >>> try:
    ...     with atomic_output(folder / "scores.txt") as tmp:
    ...         _ = tmp.write_text("half of the n")
    ...         raise OSError("disk full")
    ... except OSError:
    ...     pass
    >>> (folder / "scores.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('old', ['scores.txt'])
    >>> with atomic_output(folder / "scores.txt") as tmp:
    ...     _ = tmp.write_text("new")
    >>> (folder / "scores.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('new', ['scores.txt'])
    >>> with atomic_output(folder / "scores.txt") as tmp:  # a folder of parts over the file
    ...     tmp.mkdir()
    ...     _ = (tmp / "part-0.parquet").write_text("parts")
    >>> sorted(p.name for p in (folder / "scores.txt").iterdir()), len(list(folder.iterdir()))
    (['part-0.parquet'], 1)
    >>> with atomic_output(folder / "scores.txt") as tmp:  # and a file over the folder
    ...     _ = tmp.write_text("newer")
    >>> (folder / "scores.txt").read_text()
    'newer'
    """
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep(target)
    work = target.parent / f".{target.name}.{os.getpid()}.tmp"
    shutil.rmtree(work, ignore_errors=True)  # a folder of ours from an earlier call
    work.mkdir()
    try:
        yield work / target.name
        new = work / target.name
        if (target.is_dir() and not target.is_symlink()) or (new.is_dir() and target.exists()):
            # a folder (Spark's part files) cannot be renamed over a file or a non-empty
            # folder: the old output moves into the temporary folder, and goes with it
            os.replace(target, work / f".old-{target.name}")
        os.replace(new, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
