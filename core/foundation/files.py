"""Files people ask us to write (scored rows, a model card, a script, a bundle): the path is checked
before any work is done, so a folder that cannot be made is said in words, with what to do, and
never becomes an internal error. Messages name the file, not the server's folders."""

import os
from pathlib import Path

from core.foundation.errors import InvalidInput


def output_path(path, *, make: bool = True) -> Path:
    """`path` as a Path a file can be written to, its folder made when `make`; InvalidInput when
    the path is a folder, a part of it is a file, or the folder cannot be made or written."""
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(code="output_is_folder", value=path.name, msg="output_is_folder", path=path.name)
    existing = next((p for p in path.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        # e.g. data.csv/scored.csv: shown from the file in the way, the rest of the path is the server's
        shown = path.relative_to(existing.parent).as_posix()
        raise InvalidInput(code="output_inside_a_file", value=shown, msg="output_inside_a_file", path=shown,
                           file=existing.name)
    if make:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _cannot_write(path, exc.strerror or type(exc).__name__)
        folder = path.parent
    else:
        folder = existing
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        _cannot_write(path, "permission denied")
    return path


def _cannot_write(path: Path, reason: str):
    raise InvalidInput(code="output_not_writable", value=path.name, msg="output_not_writable", path=path.name,
                       reason=reason.lower())
