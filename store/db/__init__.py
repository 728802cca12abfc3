"""The SQLite store: every SQL statement of the project lives in this package.

:func:`open_database` opens a :class:`Database` (one connection; its methods are
grouped by concern in the modules of this package, see :mod:`store.db.database`);
:class:`PostingStore` works on the same connection for posting, :class:`WatchStore`
for /watch; :mod:`store.db.backup`
copies a live database.
"""

from store.db.database import Database, open_database
from store.db.documents import InsertOutcome
from store.db.posting import PostingStore, PostSchedule, PostTarget
from store.db.schema import MIGRATIONS
from store.db.watches import Watch, WatchStore

__all__ = [
    "MIGRATIONS",
    "Database",
    "InsertOutcome",
    "PostSchedule",
    "PostTarget",
    "PostingStore",
    "Watch",
    "WatchStore",
    "open_database",
]
