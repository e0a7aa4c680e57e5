"""The in-process cache of authenticated clients: TTL, size bound, revocation, races."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from trustscore import ledger as lg
from trustscore.exceptions import SchemaError
from trustscore.service._token_cache import TokenCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ledger() -> Iterator[lg.Ledger]:
    ledger = lg.Ledger("sqlite://")
    ledger.create_all()
    yield ledger
    ledger.dispose()


def test_a_cached_client_is_served_until_its_ttl(ledger: lg.Ledger) -> None:
    clock = Clock()
    cache = TokenCache(ttl_s=5.0, clock=clock)
    client, token = lg.create_client(ledger, "auditor")
    assert cache.lookup(token) is None
    assert cache.authenticate(ledger, token) == client
    assert cache.lookup(token) == client
    # another process revokes: this cache does not know, and trusts the entry for 5 s
    lg.revoke_client(ledger, client.client_id)
    clock.now += 4.9
    assert cache.authenticate(ledger, token) == client
    clock.now += 0.1
    assert cache.lookup(token) is None
    assert cache.authenticate(ledger, token) is None
    assert len(cache) == 0


def test_an_entry_in_use_is_read_again_before_it_expires(ledger: lg.Ledger) -> None:
    clock = Clock()
    cache = TokenCache(ttl_s=5.0, clock=clock)
    client, token = lg.create_client(ledger, "auditor")
    assert cache.authenticate(ledger, token) == client
    clock.now += 2.4
    assert cache.check(token) == (client, False)  # not yet half its life
    clock.now += 0.2
    assert cache.check(token) == (client, True)  # this caller refreshes ...
    assert cache.check(token) == (client, False)  # ... and nobody else meanwhile
    cache.refresh(ledger, token)
    clock.now += 4.9  # 7.5 s after the first read, 4.9 s after the refresh: still trusted
    assert cache.check(token) == (client, True)
    cache.refresh(ledger, token)
    assert cache.check(token) == (client, False)


def test_a_refresh_drops_a_client_revoked_elsewhere(ledger: lg.Ledger) -> None:
    clock = Clock()
    cache = TokenCache(ttl_s=5.0, clock=clock)
    client, token = lg.create_client(ledger, "auditor")
    assert cache.authenticate(ledger, token) == client
    lg.revoke_client(ledger, client.client_id)  # by another process: the cache does not know
    clock.now += 3.0
    assert cache.check(token) == (client, True)
    cache.refresh(ledger, token)
    assert cache.check(token) == (None, False)
    assert cache.authenticate(ledger, token) is None


def test_a_failed_refresh_leaves_the_entry_to_expire(ledger: lg.Ledger) -> None:
    clock = Clock()
    cache = TokenCache(ttl_s=5.0, clock=clock)
    client, token = lg.create_client(ledger, "auditor")
    assert cache.authenticate(ledger, token) == client
    clock.now += 3.0
    assert cache.check(token) == (client, True)
    ledger.dispose()
    broken = lg.Ledger("sqlite://")  # no tables: reading it fails
    cache.refresh(broken, token)  # logged, not raised
    assert cache.check(token) == (client, True)  # the next request may try again
    clock.now += 2.0
    assert cache.check(token) == (None, False)


def test_invalidate_drops_every_token_of_the_client_only(ledger: lg.Ledger) -> None:
    cache = TokenCache()
    a, token_a = lg.create_client(ledger, "auditor")
    b, token_b = lg.create_client(ledger, "operator")
    assert cache.authenticate(ledger, token_a) == a
    assert cache.authenticate(ledger, token_b) == b
    cache.invalidate(a.client_id)
    assert cache.lookup(token_a) is None
    assert cache.lookup(token_b) == b
    cache.clear()
    assert len(cache) == 0


def test_failures_are_not_cached(ledger: lg.Ledger) -> None:
    cache = TokenCache()
    client, token = lg.create_client(ledger, "auditor")
    assert cache.authenticate(ledger, token + "x") is None
    assert cache.authenticate(ledger, "no-dot") is None
    assert len(cache) == 0
    assert cache.authenticate(ledger, token) == client
    assert len(cache) == 1


def test_a_read_that_raced_a_revocation_is_not_cached(ledger: lg.Ledger) -> None:
    cache = TokenCache()
    client, token = lg.create_client(ledger, "auditor")
    before = cache.generation()
    read = lg.authenticate(ledger, token)  # read before the revocation ...
    assert read == client
    cache.invalidate(client.client_id)  # ... which lands before the read is stored
    cache.store(token, read, before)
    assert cache.lookup(token) is None


def test_the_least_recently_used_token_goes_first(ledger: lg.Ledger) -> None:
    cache = TokenCache(max_size=2)
    made = [lg.create_client(ledger, "auditor") for _ in range(3)]
    (c0, t0), (_c1, t1), (c2, t2) = made
    cache.authenticate(ledger, t0)
    cache.authenticate(ledger, t1)
    assert cache.lookup(t0) == c0  # t0 is now the most recently used
    cache.authenticate(ledger, t2)
    assert len(cache) == 2
    assert cache.lookup(t1) is None
    assert cache.lookup(t0) == c0
    assert cache.lookup(t2) == c2


def test_ttl_zero_disables_the_cache(ledger: lg.Ledger) -> None:
    cache = TokenCache(ttl_s=0)
    client, token = lg.create_client(ledger, "auditor")
    assert cache.authenticate(ledger, token) == client
    assert len(cache) == 0
    assert cache.lookup(token) is None


@pytest.mark.parametrize(("ttl_s", "max_size"), [(-1.0, 10), (5.0, 0)])
def test_nonsense_settings_are_refused(ttl_s: float, max_size: int) -> None:
    with pytest.raises(SchemaError, match="ttl_s >= 0 and max_size >= 1"):
        TokenCache(ttl_s=ttl_s, max_size=max_size)
