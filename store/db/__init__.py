"""The SQLite store: every SQL statement of the project lives in this package.

:func:`open_database` opens a :class:`Database` (one connection; its methods are
grouped by concern in the modules of this package, see :mod:`store.db.database`);
:class:`PostingStore` works on the same connection for posting, :class:`WatchStore`
for /watch; :mod:`store.db.backup` copies a live database.  :mod:`store.db.pg` holds
the SQL of the shared state in PostgreSQL (imported only when it is used:
:func:`store.state.open_state_store`).
"""

from store.db.database import Database, open_database
from store.db.documents import InsertOutcome
from store.db.migrations import MIGRATIONS
from store.db.posting import PostingStore, PostSchedule, PostTarget, ScheduleClaim
from store.db.watches import Watch, WatchClaim, WatchStore

__all__ = [
    "MIGRATIONS",
    "Database",
    "InsertOutcome",
    "PostSchedule",
    "PostTarget",
    "PostingStore",
    "ScheduleClaim",
    "Watch",
    "WatchClaim",
    "WatchStore",
    "open_database",
]
