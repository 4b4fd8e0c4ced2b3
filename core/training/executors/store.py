"""The artifact store: where a run folder travels between the app and a node that cannot see the
workspace. A shared directory path or an fsspec URI (s3://..., gs://..., with that filesystem's
package installed). Copies are incremental (a file moves again only when its size or time
changed) and land whole (written beside the target, then renamed), so a reader never sees half a file.
"""

import posixpath
import shutil

import fsspec
from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

LOCAL = LocalFileSystem()


def open_store(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, root = url_to_fs(uri)
    return fs, root.rstrip("/")


def _stamp(info: dict) -> tuple:
    """What says a file changed: its content hash where the store keeps one (S3's ETag, GCS's md5),
    else its modification time. S3 keeps times to the second, so a same-size rewrite within
    that second would look unchanged by time alone."""
    content = info.get("ETag") or info.get("etag") or info.get("md5Hash")
    return info.get("size"), content or info.get("mtime") or info.get("LastModified")


def mirror(src_fs, src: str, dst_fs, dst: str, seen: dict, *, only: tuple[str, ...] | None = None) -> int:
    """Copy files of `src` that changed since `seen` (updated in place) into `dst`; how many moved.
    `only` limits the copy to these names relative to `src`."""
    src_fs.invalidate_cache(src)  # another machine writes there: a listing kept from before is stale
    if not src_fs.exists(src):
        return 0
    if only:
        listing = {}
        for name in only:
            path = posixpath.join(src, name)
            if src_fs.exists(path):
                listing[path] = src_fs.info(path)
    else:
        listing = src_fs.find(src, detail=True)
    moved = 0
    for path, info in listing.items():
        if info.get("type") == "directory":
            continue
        rel = posixpath.relpath(path, src)
        if rel.endswith(".part") or seen.get(rel) == _stamp(info):
            continue
        target = posixpath.join(dst, rel)
        dst_fs.makedirs(posixpath.dirname(target), exist_ok=True)
        with src_fs.open(path, "rb") as fin, dst_fs.open(target + ".part", "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
        dst_fs.mv(target + ".part", target)
        seen[rel] = _stamp(info)
        moved += 1
    return moved
