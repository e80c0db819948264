"""A user's permissions and scope resolved once and kept in Django's cache (issue 25).

Django reads a user's user and group permissions from the database on every request, and the
scope provider reads the grants, the organisation tree and the sites; with a cache shared by every
process (Redis) both are resolved once per user and kept under a *generation* key. Any change
that can alter them — a grant, a group membership, a group's or user's permissions, an
organisation or site created, moved or deleted — bumps the generation (at once and again when the
transaction commits, so a request that read the old rows meanwhile cannot keep them), and every
entry of the old generation is left unreachable.

An entry is written only from committed rows read after its generation (:func:`keep`): inside a
transaction, once it commits — a transaction that changed a grant reads its own uncommitted rows
under the new generation, and a rollback bumps nothing, so what it read must never reach the cache
— and always from the primary, never a replica behind it (:func:`remembered`).

A cache that is not shared (``LocMemCache``: one per process) would miss the bump of another
process, so then nothing is kept across requests (``BAOGONG_SHARED_CACHE = "auto"``, the
default); ``"on"`` forces it (tests, a single process), ``"off"`` switches it off.

Each process also keeps a copy of the entries it read from or wrote to the shared cache (at most
:data:`LOCAL_SECONDS` old), by their full key. Every key names the generation it was made under
and every request reads the generations afresh (one round trip, :func:`generation`), so a bump
leaves the copies unreachable exactly when it leaves the shared entries unreachable: a request
then costs that one round trip instead of one per kind of entry. The copies are pickled, so each
read gets its own objects, as from the cache. Nothing is kept that the shared cache does not hold.
"""

from __future__ import annotations

import pickle
import secrets
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from baogong.core.dbrouter import primary_reads

T = TypeVar("T")
GENERATION_KEY = "authz:generation"
TTL = 600  # seconds an entry lives even without a change (a safety net, not the invalidation)
_LOCAL_BACKENDS = ("LocMemCache", "DummyCache")
LOCAL_SECONDS = 60  # the longest a process serves its copy of an entry without asking the cache
LOCAL_MAX = 5_000  # copies kept per process; past it they are all dropped (and read again)


def namespace() -> str:
    """Keys of this database's deployment: two deployments sharing one Redis never mix entries."""
    return f"baogong:{settings.DATABASES['default'].get('NAME')}"


def enabled() -> bool:
    mode = str(getattr(settings, "BAOGONG_SHARED_CACHE", "auto")).lower()
    if mode in ("on", "1", "true"):
        return True
    if mode in ("off", "0", "false"):
        return False
    return not str(settings.CACHES["default"]["BACKEND"]).endswith(_LOCAL_BACKENDS)


# What the current request read from the cache: the generations (one read per request and key)
# and entries fetched ahead with :func:`get_many` (one round trip for every lookup of a request).
# The request middleware opens a fresh memo for each request (:func:`request_memo`); outside a
# request nothing is memoised. Context variables, never a process-wide dict.
_seen: ContextVar[dict[str, int] | None] = ContextVar("baogong_authz_generations", default=None)
_fetched: ContextVar[dict[str, Any] | None] = ContextVar("baogong_authz_fetched", default=None)
_MISSING = object()
# Generation keys read together on a request's first read of any of them (one round trip); apps
# add theirs at start-up (:func:`read_together`). Key names only, no data.
_GENERATION_KEYS: set[str] = {GENERATION_KEY}
# This process's copies of shared entries, by full key (see the module's docstring): pickled bytes
# and the monotonic time they lapse. A plain dict: each read and write is atomic between threads.
_copies: dict[str, tuple[float, bytes]] = {}

Memo = tuple[Token[dict[str, int] | None], Token[dict[str, Any] | None]]


def request_memo() -> Memo:
    """Start a request's memo (end it with :func:`end_request_memo`)."""
    return _seen.set({}), _fetched.set({})


def end_request_memo(token: Memo) -> None:
    _fetched.reset(token[1])
    _seen.reset(token[0])


def read_together(key: str) -> None:
    """Read the generation ``key`` in the same round trip as the others (call at start-up)."""
    _GENERATION_KEYS.add(key)


def generation(key: str = GENERATION_KEY) -> int:
    """The current generation under ``key`` (entries keyed with an older one are never read)."""
    full = f"{namespace()}:{key}"
    seen = _seen.get()
    if seen is not None and full in seen:
        return seen[full]
    if seen is not None:
        names = {f"{namespace()}:{k}" for k in _GENERATION_KEYS} | {full}
        found = cache.get_many(sorted(names - seen.keys()))
    else:
        found = {full: cache.get(full)}
    value = found.get(full)
    if value is None:
        # First use, or the key was evicted: a new start no older entry can share.
        cache.add(full, _new_start(), None)
        value = cache.get(full) or 0
    if seen is not None:
        seen.update({k: int(v) for k, v in found.items() if v is not None})
        seen[full] = int(value)
    return int(value)


def _new_start() -> int:
    """A generation's first value: random, so that no copy kept from before the key was lost (a
    flush, an eviction, a test's cleared cache, a clock standing still) can share it."""
    return time.time_ns() + secrets.randbits(62)


def _shared_get_many(keys: list[str]) -> dict[str, Any]:
    """``cache.get_many(keys)``, the keys this process holds a live copy of answered from it."""
    if not keys:
        return {}
    now = time.monotonic()
    found: dict[str, Any] = {}
    asked = []
    for key in keys:
        copy = _copies.get(key)
        if copy is not None and copy[0] > now:
            found[key] = pickle.loads(copy[1])  # noqa: S301 - bytes this process pickled itself
        else:
            asked.append(key)
    if asked:
        fresh = cache.get_many(asked)
        _keep_copies(fresh, now + LOCAL_SECONDS)
        found.update(fresh)
    return found


def _keep_copies(entries: dict[str, Any], until: float) -> None:
    if len(_copies) + len(entries) > LOCAL_MAX:
        _copies.clear()
    for key, value in entries.items():
        _copies[key] = (until, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def get_many(keys: list[str]) -> dict[str, Any]:
    """``cache.get_many(keys)`` with the request's memo and the process's copies: a key read (or
    missed) earlier in the request is not asked again, the rest not copied here in one round trip.

    Only for keys that name the generation their entry was made under (every caller's)."""
    memo = _fetched.get()
    if memo is None:
        return _shared_get_many(keys)
    wanted = [k for k in keys if k not in memo]
    if wanted:
        found = _shared_get_many(wanted)
        memo.update({k: found.get(k, _MISSING) for k in wanted})
    return {k: memo[k] for k in keys if memo[k] is not _MISSING}


def get(key: str) -> Any:
    """One entry through the request's memo (``None`` when absent)."""
    return get_many([key]).get(key)


def set_many(entries: dict[str, Any], ttl: int = 600) -> None:
    """``cache.set_many`` that the request's memo sees too."""
    if not entries:
        return
    cache.set_many(entries, ttl)
    _keep_copies(entries, time.monotonic() + min(ttl, LOCAL_SECONDS))
    memo = _fetched.get()
    if memo is not None:
        memo.update(entries)


def keep(entries: dict[str, Any], ttl: int = TTL) -> None:
    """:func:`set_many` of entries read from the database; inside a transaction only once it
    commits (a row it made or saw may still be rolled back: no bump follows a rollback, so an
    entry written before it would serve the rolled-back rows until the next change). The entries
    are kept as they are now, not as the request has changed them by then (a token's user, say,
    holding that request's permissions)."""
    if transaction.get_connection().in_atomic_block:
        frozen = pickle.dumps(entries, pickle.HIGHEST_PROTOCOL)
        transaction.on_commit(lambda: set_many(pickle.loads(frozen), ttl))  # noqa: S301 - pickled here
    else:
        set_many(entries, ttl)


def bump(key: str = GENERATION_KEY) -> None:
    """A new generation under ``key`` now and again when the transaction commits: now, so that
    this transaction reads its own change afresh (what it reads is kept only if it commits,
    :func:`keep`); on commit, so that what another process read meanwhile from the rows committed
    before, under the first bump's generation, is never read after the change."""

    key = f"{namespace()}:{key}"

    def once() -> None:
        seen = _seen.get()
        if seen is not None:
            seen.clear()
        fetched = _fetched.get()
        if fetched is not None:
            fetched.clear()
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, _new_start(), None)

    once()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(once)


def invalidate(*_args: Any, **_kwargs: Any) -> None:
    """Forget every user's cached permissions and scope (a signal receiver)."""
    bump(GENERATION_KEY)


def remembered(user: Any, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` for ``user`` once per generation (and once per request on the user object)."""
    if not enabled() or getattr(user, "pk", None) is None:
        return compute()
    # ``entry``: what this request knows (Django's ``_perm_cache`` likewise lives on the user);
    # ``kept``: the part of it the shared cache may hold, read from it or computed from committed rows.
    entry: dict[str, Any] | None = user.__dict__.get("_baogong_authz")
    kept: dict[str, Any] = user.__dict__.get("_baogong_authz_kept", {})
    key = user.__dict__.get("_baogong_authz_key")
    if entry is None:
        key = f"{namespace()}:authz:{generation()}:{user.pk}:{int(bool(user.is_superuser))}"
        kept = get(key) or {}
        entry = dict(kept)
        user._baogong_authz, user._baogong_authz_kept, user._baogong_authz_key = entry, kept, key
    if name not in entry:
        with primary_reads():
            value = entry[name] = compute()

        def committed() -> None:
            kept[name] = value
            set_many({key: dict(kept)}, TTL)

        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(committed)
        else:
            committed()
    return entry[name]


def permissions(user: Any) -> frozenset[str]:
    """Every permission the user has through their own and their groups' grants."""
    return remembered(user, "perms", lambda: frozenset(user.get_all_permissions()))


def has_perms(user: Any, perms: Iterable[str]) -> bool:
    """``user.has_perms(perms)`` for the model backend, the permissions read from the cache."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return set(perms) <= permissions(user)


def connect_auth_signals() -> None:
    """Group membership, user and group permissions: the changes ``django.contrib.auth`` makes."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = get_user_model()
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(invalidate, sender=through, dispatch_uid=f"authz-{through._meta.label}")
    for model in (Group, Permission):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"authz-save-{model._meta.label}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"authz-delete-{model._meta.label}")
