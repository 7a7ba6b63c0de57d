"""Containers found in evidence or given as evidence, one module per format.

Importing this package registers the built-in containers in `CONTAINERS`, in the order
their signatures are tried (the more specific first: a UFDR is also a zip).
"""

from scanner.evidence.containers import (  # noqa: F401 - importing registers them
    adb_backup,
    android_imgcache,
    android_thumbdata,
    android_trash,  # before sqlite_container: a trash database is a SQLite database
    browser_firefox_cache2,  # before compressed/tar/zip: its content may be one of them
    chromium_blockfile_cache,
    chromium_simple_cache,
    compressed,
    pdf_container,
    quicklook,  # before sqlite_container: its index is a SQLite database
    rar_container,
    sevenzip_container,
    sqlite_container,
    tar_container,
    thumbcache_container,
    thumbs_db_container,
    ufdr_container,  # before zip_container: a UFDR is also a zip
    zip_container,
)

# isort: split
from scanner.evidence.containers import datauri_container  # noqa: F401 - last: sniffs text
from scanner.evidence.containers.base import (
    CONTAINERS,
    SNIFF_BYTES,
    Container,
    ContainerOptions,
    Member,
    Problem,
    sniff,
)
from scanner.evidence.containers.expand import Expansion, container_depth, expand

__all__ = [
    "CONTAINERS",
    "SNIFF_BYTES",
    "Container",
    "ContainerOptions",
    "Expansion",
    "Member",
    "Problem",
    "container_depth",
    "expand",
    "sniff",
]
