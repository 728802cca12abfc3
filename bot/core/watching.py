"""/watch: saved queries, and the check that sends their new answers.

A watch is a query (filters allowed) whose owner wants to hear when a newly stored
document answers it.  :class:`WatchService` adds, lists and removes watches (at most
:data:`MAX_WATCHES_PER_USER` each) over a :class:`store.state.WatchState` (the SQLite
file's, or PostgreSQL's shared by replicas), and runs the check
(:meth:`WatchService.check`, every minute or so from :mod:`bot.telegram.jobs`):

- It looks only when the search can find every stored paragraph (no ingest half done:
  the search vocabulary counts them all), up to the newest paragraph id at that moment;
  paragraphs stored by another process are noticed the same way.  That is asked of the
  corpus database; the watches' rows are the state's.
- Each due watch (its cursor below that id) is searched as ``/q`` searches it — the
  same scoring, filters and answer tiers — over the paragraphs above its cursor (all of
  them, however many older paragraphs answer it too), and the *answers* count; close
  passages offered as "not sure" never do.
- One alert per new document (its best new paragraph, as a card), at most
  :data:`MAX_ALERTS_PER_CHECK` at once and then one message saying how many more; each
  recorded once sent, so nothing goes twice.  The cursor advances only when all went
  out: Telegram asking to wait, a network failure or a restart leaves the rest pending.
- A watch with something to send is claimed first, with a lease
  (:data:`CLAIM_LEASE_SECONDS`, renewed before each alert), and what it has to send is
  asked again under the claim: replicas (or processes sharing one file) checking at
  once never send one watch's alerts together, so none goes twice; one that died or
  hung mid-check leaves a claim that expires, and the next check takes the watch over
  (a hung one that wakes finds its claim gone and stops).  A watch with nothing new to
  send is not claimed: its cursor advancing twice is harmless.
- A chat that blocked the bot or is gone switches off its watches; a channel watch whose
  owner no longer administers the channel is switched off too (rights are checked at
  each alert, as for /post).

The sending is done through an :class:`AlertSender` (the Telegram side implements it);
nothing here imports ``telegram``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.access import CANNOT_CHECK, ChatGateway, ChatInfo, GatewayError, user_problem
from bot.core.digits import parse_digits
from bot.core.filtering import split_query
from bot.core.service import VerbatimService, normalize_query
from bot.core.views import Card, Problem
from store import Hit, Watch, WatchClaim, parse_query
from store.state import WatchState

log = logging.getLogger(__name__)

MAX_WATCHES_PER_USER = 20
WATCH_CANDIDATES = 50  # answers among the new paragraphs a check looks through
MAX_ALERTS_PER_CHECK = 10  # documents of one watch sent as cards at once; then a summary
CLAIM_LEASE_SECONDS = 300.0  # a watch's claim expires this long after its last renewal

WATCH_LIMIT = (
    f"You have {MAX_WATCHES_PER_USER} watches, the most I keep: remove one with "
    "/watch remove N first."
)
SAY_WHICH = "Say which: /watch remove N, with N from /watch list."
NO_WATCH = "You have no watch number {}: see /watch list."
ALREADY_WATCHED = "You already watch those words there (/watch list)."
LONG_WATCH = "Your text was long, so I watch its first {} characters."
DEMOTED = "its owner is no longer an administrator who may post there"


class WatchError(ValueError):
    """A /watch request we refuse; ``str()`` is the short message for the user."""


@dataclass(frozen=True, slots=True)
class Alert:
    """New in a document for a watch: its best new paragraph as a card, and every new
    paragraph of that document the search answered with (all recorded when it is sent)."""

    watch: Watch
    card: Card
    paragraph_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MoreAlerts:
    """More new documents answer a watch than one check sends as cards: how many."""

    watch: Watch
    documents: int
    paragraph_ids: tuple[int, ...]


class AlertFailed(Exception):
    """An alert did not go out.  ``chat_gone``: the chat blocked the bot or no longer
    exists (its watches stop); else ``retry``: it may go out later (Telegram asked to
    wait, the network failed); neither: this alert is refused for good (skipped)."""

    def __init__(self, reason: str, *, chat_gone: bool = False, retry: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.chat_gone = chat_gone
        self.retry = retry


class AlertSender(Protocol):
    """Sends alerts to the chat of their watch."""

    async def deliver(self, alert: Alert | MoreAlerts) -> int:
        """Send ``alert`` to its watch's chat; returns the id of the chat it went to (a
        group that became a supergroup has a new one).  Raises :class:`AlertFailed`."""
        ...


@dataclass(frozen=True, slots=True)
class StoppedWatch:
    """A watch the check switched off, and why (``demoted``: its owner may no longer
    post in its channel; else its chat refused the bot, ``reason`` says how)."""

    watch: Watch
    reason: str
    demoted: bool = False


@dataclass(slots=True)
class WatchCheck:
    """What one check did: up to which paragraph it looked (``None``: it did not look,
    documents were being stored), how many watches it searched, how many due ones it
    could not claim (``held``: another process was checking them, or had just done so),
    alerts it sent,
    watches left with alerts to send later, and the watches it switched off."""

    up_to: int | None = None
    searched: int = 0
    held: int = 0
    alerts: int = 0
    pending: int = 0
    stopped: list[StoppedWatch] = field(default_factory=list)


def watch_target(watch: Watch) -> ChatInfo:
    """The chat a watch sends to."""
    return ChatInfo(watch.chat_id, watch.chat_type, watch.chat_title, watch.chat_username)


class WatchService:
    """Watches in ``store`` over the corpus of ``service``; see the module docstring."""

    def __init__(
        self,
        store: WatchState,
        service: VerbatimService,
        chats: ChatGateway,
        sender: AlertSender,
    ) -> None:
        self.store = store
        self.service = service
        self.chats = chats
        self.sender = sender
        self.claim_lease_seconds = CLAIM_LEASE_SECONDS  # how long a claim lasts unrenewed

    # ------------------------------------------------------------------ commands

    async def add(self, owner_id: int, text: str, where: ChatInfo) -> tuple[Watch, int, str | None]:
        """/watch words: check the words (and their filters) as /q would, then store a
        watch sending to ``where`` (the owner's private chat, or a chat whose rights the
        caller checked); returns it, its number in /watch list (the last), and a notice
        when the words were cut."""
        query, long = normalize_query(text)
        if not query:
            raise WatchError("Tell me the words to watch for, e.g. /watch servants of the people")
        split = await split_query(self.service.db, query)
        if isinstance(split, Problem):
            raise WatchError(split.message)
        parsed = parse_query(split.words)
        if parsed.error:
            raise WatchError(parsed.error)
        listed = await self.store.list_watches(owner_id)
        for known in listed:
            if known.chat_id == where.chat_id and known.query.casefold() == query.casefold():
                raise WatchError(ALREADY_WATCHED)
        watch = await self.store.add_watch(
            owner_id=owner_id,
            chat_id=where.chat_id,
            chat_type=where.chat_type,
            chat_title=where.title,
            chat_username=where.username,
            query=query,
            seen_paragraph_id=await self.service.db.paragraph_id_span(),  # only later ones
            limit=MAX_WATCHES_PER_USER,
        )
        if watch is None:
            raise WatchError(WATCH_LIMIT)
        number = len(listed) + 1  # the list is oldest first: the new watch comes last
        return watch, number, LONG_WATCH.format(len(query)) if long else None

    async def watches_of(self, owner_id: int) -> list[Watch]:
        """The owner's watches, numbered from 1 in this order by /watch list."""
        return await self.store.list_watches(owner_id)

    async def remove(self, owner_id: int, number: str) -> Watch:
        """/watch remove N: the owner's watch number N of /watch list; returns it."""
        n = parse_digits(number.lstrip("#"), 4)
        if n is None:
            raise WatchError(SAY_WHICH)
        watches = await self.store.list_watches(owner_id)
        if not 1 <= n <= len(watches):
            raise WatchError(NO_WATCH.format(n))
        await self.store.remove_watch(watches[n - 1].id)
        return watches[n - 1]

    # ------------------------------------------------------------------ the check

    async def check(self, chat_id: int | None = None) -> WatchCheck:
        """Search every due watch over the paragraphs stored since it last looked and
        send what is new (see the module docstring); with ``chat_id``, only the watches
        sending to that chat (``verbatim chat`` looks at its own and leaves a database's
        other watches to the bot that can reach their chats)."""
        corpus = self.service.db
        up_to = await corpus.searchable_paragraph_id()
        if up_to is None:  # documents stored, vocabulary not yet: repair if no ingest runs
            await corpus.repair_derived_data()
            up_to = await corpus.searchable_paragraph_id()
        report = WatchCheck(up_to)
        if up_to is None:
            return report
        stopped_chats: set[int] = set()
        for listed in await self.store.due_watches(up_to):
            if listed.chat_id in stopped_chats or chat_id not in (None, listed.chat_id):
                continue
            report.searched += 1
            hits, described = await self._answers(listed)
            if not await self._unsent(listed, hits, up_to):
                # nothing to send: no claim needed (a cursor advanced twice is harmless)
                await self.store.advance(listed.id, up_to)
                continue
            claim = await self.store.claim_watch(listed.id, up_to, self.claim_lease_seconds)
            if claim is None:  # another process is sending its alerts, or just did
                report.held += 1
                continue
            try:
                await self._send_claimed(claim, hits, described, up_to, report, stopped_chats)
            finally:
                await self.store.release_claim(claim)
        return report

    async def _answers(self, watch: Watch) -> tuple[list[Hit], str]:
        """The answers of a watch's search, best first (none when its query no longer
        works or the search failed), and its filters described for the cards."""
        split = await split_query(self.service.db, watch.query)
        if isinstance(split, Problem):  # a collection renamed since, say: nothing to find
            log.info("watch %d: its query no longer works: %s", watch.id, split.message)
            return [], ""
        # among the paragraphs stored since it last looked: however many older ones
        # answer it too, the new ones are all searched
        filters = dataclasses.replace(split.filters, after_paragraph_id=watch.seen_paragraph_id)
        result = await self.service.searcher.search(
            split.words, limit=WATCH_CANDIDATES, filters=filters
        )
        if result.error:
            log.info("watch %d: its search failed: %s", watch.id, result.error)
            return [], ""
        return list(result.hits), split.described

    async def _unsent(self, watch: Watch, hits: Sequence[Hit], up_to: int) -> list[Hit]:
        """Those of ``hits`` above the watch's cursor (up to ``up_to``) not sent yet."""
        fresh = [h for h in hits if watch.seen_paragraph_id < h.paragraph.id <= up_to]
        if not fresh:
            return []
        sent = await self.store.sent_among(watch.id, [h.paragraph.id for h in fresh])
        return [h for h in fresh if h.paragraph.id not in sent]

    async def _send_claimed(
        self,
        claim: WatchClaim,
        hits: Sequence[Hit],
        described: str,
        up_to: int,
        report: WatchCheck,
        stopped_chats: set[int],
    ) -> None:
        """Send what a claimed watch has to send up to paragraph ``up_to`` (asked again:
        its cursor and record as they stand now, another process may have moved them),
        then advance it, or switch off the chat that refused the bot."""
        watch = claim.watch
        alerts = await self.alerts_of(watch, await self._unsent(watch, hits, up_to), described)
        stopped = await self._owner_demoted(watch) if alerts else None
        if stopped is not None:
            report.stopped.append(stopped)
            return
        sent, done, gone = await self._send(claim, alerts)
        report.alerts += sent
        if gone is not None:
            stopped_chats.add(watch.chat_id)
            disabled = await self.store.disable_chat(watch.chat_id, gone)
            report.stopped += [StoppedWatch(w, gone) for w in disabled]
        elif done:
            await self.store.advance(watch.id, up_to)
        else:
            report.pending += 1

    async def alerts_of(
        self, watch: Watch, unsent: Sequence[Hit], described: str
    ) -> list[Alert | MoreAlerts]:
        """What a watch has to send for ``unsent``, its search's answers (best first)
        among the new paragraphs not sent yet: one :class:`Alert` per document (its best
        paragraph first), best first; past :data:`MAX_ALERTS_PER_CHECK`, one
        :class:`MoreAlerts` for the rest."""
        by_document: dict[int, list[Hit]] = {}
        for hit in unsent:
            by_document.setdefault(hit.document.id, []).append(hit)
        alerts: list[Alert | MoreAlerts] = []
        groups = list(by_document.values())
        for hits in groups[:MAX_ALERTS_PER_CHECK]:
            card = await self._card(watch, hits[0], described)
            ids = tuple(h.paragraph.id for h in hits)
            if card is not None:
                alerts.append(Alert(watch, card, ids))
        if rest := groups[MAX_ALERTS_PER_CHECK:]:
            ids = tuple(h.paragraph.id for hits in rest for h in hits)
            alerts.append(MoreAlerts(watch, len(rest), ids))
        return alerts

    async def _card(self, watch: Watch, hit: Hit, filters: str) -> Card | None:
        """The card of an alert: the paragraph as the search found it."""
        card = await self.service.paragraph(hit.paragraph.id)
        if not isinstance(card, Card):
            return None
        return dataclasses.replace(
            card,
            spans=hit.spans,
            confidence=hit.confidence,
            also_in=hit.also_in,
            filters=filters,
            query=watch.query,
        )

    async def _owner_demoted(self, watch: Watch) -> StoppedWatch | None:
        """Switch off a channel or group watch whose owner may no longer post there
        (asked at each alert, as /post asks at each post); when the chat service will not
        say, the alert is tried."""
        if watch.chat_type == "private":
            return None
        try:
            problem = await user_problem(self.chats, watch_target(watch), watch.owner_id)
        except GatewayError as exc:
            log.info("watch %d: could not check its owner's rights: %s", watch.id, exc)
            return None
        if problem is None or problem == CANNOT_CHECK:
            return None
        log.warning(
            "watch %d: its owner may not post in %s any more, disabled", watch.id, watch.chat_id
        )
        await self.store.disable_watch(watch.id, DEMOTED)
        return StoppedWatch(watch, DEMOTED, demoted=True)

    async def _send(
        self, claim: WatchClaim, alerts: Sequence[Alert | MoreAlerts]
    ) -> tuple[int, bool, str | None]:
        """Send a claimed watch's alerts in order, recording each, the claim renewed
        before each; returns how many went out, whether all are done (sent, or refused for
        good), and why the chat is gone when it is.  A claim lost (it expired, and
        another process took the watch over) stops the sending: that process sends the
        rest."""
        watch = claim.watch
        sent = 0
        chat_id = watch.chat_id
        for alert in alerts:
            if not await self.store.renew_claim(claim, self.claim_lease_seconds):
                log.warning("watch %d: its claim expired and was taken over", watch.id)
                return sent, False, None
            try:
                went_to = await self.sender.deliver(alert)
            except AlertFailed as exc:
                if exc.chat_gone:
                    log.warning("watch %d: chat %s refuses the bot: %s", watch.id, chat_id, exc)
                    return sent, False, exc.reason
                if exc.retry:
                    log.info("watch %d: alert not sent, will try again: %s", watch.id, exc)
                    await self.store.note_error(watch.id, exc.reason)
                    return sent, False, None
                log.warning("watch %d: alert refused, skipped: %s", watch.id, exc)
            else:
                sent += 1
                if went_to != chat_id:  # the group became a supergroup
                    await self.store.move_chat(chat_id, went_to, "supergroup")
                    chat_id = went_to
            await self.store.record_sent(watch.id, alert.paragraph_ids)
        return sent, True, None
