"""Known sets: import/export of hash-set formats, exact and PDQ matching, victim sets.

Public API::

    import_set(source, name, kind, fmt=None, options=None, home=None, replace=False)
    build_victims(folder, name, home=None, replace=False, dihedral=True, embedder=None)
    load_matcher(names=None, home=None, pdq_radius=31) -> SetMatcher
    list_sets(home=None) -> list[SetInfo];  remove_set(name, home=None)
    export_vics(records, out);  export_set(name, out, home=None)
    VictimStore(home).add_faces(...) / .faces(set_name, model_name)
"""

from scanner.knownsets.exporter import export_set
from scanner.knownsets.formats import FORMATS, detect_format, get_format
from scanner.knownsets.importer import import_set
from scanner.knownsets.matcher import DEFAULT_PDQ_RADIUS, SetMatcher, load_matcher
from scanner.knownsets.model import KINDS, ImportReport, ReadOptions, SetInfo, SetMatch
from scanner.knownsets.store import list_sets, remove_set
from scanner.knownsets.vics_export import VicsMedia, export_vics
from scanner.knownsets.victims import VictimStore, build_victims

__all__ = [
    "DEFAULT_PDQ_RADIUS",
    "FORMATS",
    "KINDS",
    "ImportReport",
    "ReadOptions",
    "SetInfo",
    "SetMatch",
    "SetMatcher",
    "VicsMedia",
    "VictimStore",
    "build_victims",
    "detect_format",
    "export_set",
    "export_vics",
    "get_format",
    "import_set",
    "list_sets",
    "load_matcher",
    "remove_set",
]
