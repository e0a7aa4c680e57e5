"""Clustering: only strong evidence joins profiles; chains of weak links never merge people."""

from __future__ import annotations

from trustscore.identity import Edge, Profile, cluster


def _p(pid: str, subject: str | None = None, valid_id: str | None = None) -> Profile:
    return Profile(pid, subject, valid_id)


def test_a_chain_of_weak_links_does_not_merge_two_people() -> None:
    profiles = [_p("a"), _p("b"), _p("c")]
    edges = [Edge("a", "b", 4.0, {}), Edge("b", "c", 4.5, {})]
    out = cluster(profiles, edges, upper=5.0, lower=0.0)
    assert len({out.cluster_of[p] for p in "abc"}) == 3
    assert {(e.left, e.right) for e in out.review} == {("a", "b"), ("b", "c")}
    assert out.held == {"a", "b", "c"}


def test_strong_links_join_and_the_join_is_recorded() -> None:
    out = cluster([_p("a"), _p("b")], [Edge("a", "b", 9.0, {"given_name": 7.1})], upper=5, lower=0)
    assert out.cluster_of["a"] == out.cluster_of["b"]
    assert out.joined_by["b"].levels == {"given_name": 7.1}
    assert not out.held


def test_no_cluster_holds_two_valid_ids() -> None:
    profiles = [_p("a", valid_id="national_id:1"), _p("b"), _p("c", valid_id="national_id:2")]
    edges = [Edge("a", "b", 9.0, {}), Edge("b", "c", 8.0, {})]
    out = cluster(profiles, edges, upper=5.0, lower=0.0)
    # b matches both strongly: a guess either way, so it is torn and goes to review
    assert out.cluster_of["a"] != out.cluster_of["c"]
    assert "b" in out.held
    assert out.cluster_of["b"] not in (out.cluster_of["a"], out.cluster_of["c"])


def test_strong_chain_through_an_unidentified_profile_is_refused() -> None:
    # b-d joins first, then d-c would bring the second ID into a's cluster: refused
    profiles = [
        _p("a", valid_id="national_id:1"),
        _p("b"),
        _p("d"),
        _p("c", valid_id="national_id:2"),
    ]
    edges = [Edge("a", "b", 20.0, {}), Edge("b", "d", 19.0, {}), Edge("d", "c", 18.0, {})]
    out = cluster(profiles, edges, upper=5.0, lower=0.0)
    assert out.cluster_of["a"] == out.cluster_of["b"] == out.cluster_of["d"]
    assert out.cluster_of["c"] != out.cluster_of["a"]
    assert [(e.left, e.right) for e in out.refused] == [("d", "c")]


def test_existing_subjects_are_never_merged_by_linkage() -> None:
    profiles = [_p("a", subject="s1"), _p("b", subject="s2")]
    out = cluster(profiles, [Edge("a", "b", 30.0, {})], upper=5.0, lower=0.0)
    assert out.cluster_of["a"] != out.cluster_of["b"]


def test_operator_decisions_join_and_separate() -> None:
    profiles = [_p("a"), _p("b"), _p("c")]
    edges = [
        Edge("a", "b", 1.0, {}, decided_by="operator:ops"),
        Edge("b", "c", 30.0, {}),
    ]
    out = cluster(profiles, edges, upper=5.0, lower=0.0, distinct=[("b", "c")])
    assert out.cluster_of["a"] == out.cluster_of["b"] != out.cluster_of["c"]


def test_a_pair_whose_given_names_disagree_is_reviewed_whatever_its_weight() -> None:
    # twins: family name, birth date and address agree, the given names do not
    out = cluster(
        [_p("a"), _p("b")],
        [Edge("a", "b", 25.0, {}, conflicts=("given_name",))],
        upper=5.0,
        lower=0.0,
    )
    assert out.cluster_of["a"] != out.cluster_of["b"]
    assert [(e.left, e.right) for e in out.review] == [("a", "b")]


def test_a_chain_never_joins_two_birth_dates_in_conflict() -> None:
    # a senior and a junior of one name at one address, and a profile sent without a birth date
    profiles = [
        Profile("senior", None, None, "1974-01-14"),
        Profile("nodate", None, None),
        Profile("junior", None, None, "2006-06-07"),
        Profile("typo", None, None, "1974-01-15"),
    ]
    edges = [
        Edge("senior", "typo", 30.0, {}),
        Edge("typo", "nodate", 20.0, {}),
        Edge("nodate", "junior", 19.0, {}),
    ]
    out = cluster(profiles, edges, upper=5.0, lower=0.0)
    assert out.cluster_of["senior"] == out.cluster_of["typo"]
    assert out.cluster_of["junior"] != out.cluster_of["senior"]
    # nodate matches both strongly: torn, held for review rather than guessed
    assert "nodate" in out.held
    assert out.cluster_of["nodate"] not in (out.cluster_of["senior"], out.cluster_of["junior"])


def test_birth_dates_in_conflict() -> None:
    from trustscore.identity._cluster import dates_conflict

    assert dates_conflict("1974-01-14", "2006-06-07")
    assert not dates_conflict("1989-01-02", "1989-02-01")  # day and month transposed
    assert not dates_conflict("1974-01-14", "1947-01-14")  # one edit (digits swapped)
    assert not dates_conflict("1974-01-14", "1974-03-15")  # within a year
    assert dates_conflict("1974-01-14", "1980-05-20")
