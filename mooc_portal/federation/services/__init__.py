"""Federation's services, one module per seam.

- ``cursors``: opaque, signed cursors for pages and the change feed;
- ``read_model``: the portal's own public catalog as federation publishes it;
- ``feed``: the change feed; ``snapshot``: the whole catalog in one document;
- ``ooapi``: the queries behind ``/ooapi/v5``;
- ``peers``: peer portals and federated origins.

The names below are re-exported so that ``from mooc_portal.federation.services import ...``
keeps working; new code may import from the module itself.
"""

from mooc_portal.federation.services.cursors import decode_cursor, encode_cursor
from mooc_portal.federation.services.feed import (
    ChangesPage,
    ResynchroniseRequired,
    changes_since,
    is_tombstone_kind,
    latest_change,
    latest_sequence,
    prune_changes,
    pruned_through,
)
from mooc_portal.federation.services.peers import (
    harvest_now,
    list_peers,
    register_peer,
    set_harvest_interval,
    set_peer_enabled,
)
from mooc_portal.federation.services.read_model import (
    course_rows,
    get_own_public,
    own_public_courses,
    own_public_institutions,
    own_public_runs,
)
from mooc_portal.federation.services.snapshot import (
    EXPORT_CHUNK,
    SNAPSHOT_FORMAT,
    count_export,
    export_catalog,
)

__all__ = [
    "EXPORT_CHUNK",
    "SNAPSHOT_FORMAT",
    "ChangesPage",
    "ResynchroniseRequired",
    "changes_since",
    "count_export",
    "course_rows",
    "decode_cursor",
    "encode_cursor",
    "export_catalog",
    "get_own_public",
    "harvest_now",
    "is_tombstone_kind",
    "latest_change",
    "latest_sequence",
    "list_peers",
    "own_public_courses",
    "own_public_institutions",
    "own_public_runs",
    "prune_changes",
    "pruned_through",
    "register_peer",
    "set_harvest_interval",
    "set_peer_enabled",
]
