"""The web pages in a real browser: Debian's chromium driven by Playwright, over the real app.

The app is ``create_app`` over a small demo workspace and a SQLite ledger, served by uvicorn on a
free loopback port. A subject reads their file (score, reasons with what would change them,
records, the lender that looked), is refused another subject's file with the API's own message,
and disputes a record; an operator finds the dispute in the queue by deadline and resolves it
unverifiable; the subject's page then shows the dispute resolved, the record suppressed and the new
score. A reviewer finds a case of the demo's review queue and overrides it with a reason; a
subject asks for human review of a lender's decision and sees the case on their page. Every
expected value is read from the API, never written into the test. The pages are used from the
keyboard only.

No browser is downloaded: the tests use ``/usr/bin/chromium`` (``apt-get install chromium``) and
skip when it or the ``playwright`` package is missing, unless ``TRUSTSCORE_REQUIRE_BROWSER=1``
(then they fail); see ``tests/web_browser.py``. The browser speaks English here (Playwright's
default locale, en-US); ``test_web_reading.py`` reads the pages in Simplified Chinese too.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from trustscore.ledger import Ledger, accesses, create_client, open_dispute
from trustscore.pipeline import Workspace, score_subject, workspace_champion
from trustscore.records import RecordStore
from trustscore.service import create_app, workspace_provider
from web_browser import Tab, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LENDER = "Bank of Tests"
DAY = dt.timedelta(days=1)


@pytest.fixture
def new_tab(browser: Any, site: Site) -> Iterator[Callable[[], Tab]]:
    """Opens fresh tabs for one test; afterwards, no page may have raised a script error."""
    opened: list[Tab] = []

    def open_tab() -> Tab:
        tab = Tab(browser, site.url)
        opened.append(tab)
        return tab

    yield open_tab
    for tab in opened:
        tab.context.close()
    assert [e for tab in opened for e in tab.errors] == []


# --- the site ----------------------------------------------------------------------------------


@dataclass
class Site:
    url: str
    root: Path
    ledger: Ledger
    tokens: dict[str, str]
    subject: str
    other: str
    record: dict[str, Any]
    score_before: int  # the subject's score, and the score once the record is suppressed
    score_after: int

    def api(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=60
        )

    def file(self) -> dict[str, Any]:
        """The subject's file, as the subject reads it through the API."""
        with self.api("subject") as api:
            got = api.get(f"/v1/subjects/{self.subject}/file")
        assert got.status_code == 200, got.text
        body: dict[str, Any] = got.json()
        return body

    def bills_of(self, subject_id: str) -> list[str]:
        bills = RecordStore(Workspace(self.root).store_dir).read(
            "obligation", subjects=[subject_id]
        )
        return sorted(bills.column("record_id").to_pylist())


def _disputable_bill(ws: Workspace, scratch: Path) -> tuple[str, dict[str, Any], int, int]:
    """A scored subject, a late bill of theirs whose suppression changes their score, and the
    scores before and after, found by suppressing it in a copy of the record store."""
    import pyarrow.parquet as pq

    as_of, art = ws.as_of(), workspace_champion(ws)
    scored = {
        r["subject_id"]
        for r in pq.read_table(ws.scores_path, columns=["subject_id", "status"]).to_pylist()
        if r["status"] == "OK"
    }
    late = [
        r
        for r in RecordStore(ws.store_dir).read("obligation").to_pylist()
        if r["subject_id"] in scored and r["due_date"] > as_of - 365 * DAY
        and (r["paid_date"] is None or r["paid_date"] > r["due_date"])
    ]  # fmt: skip

    def days_late(r: dict[str, Any]) -> int:
        return int(((r["paid_date"] or as_of) - r["due_date"]).days)

    # the latest bills first: a bill a day late may cost nothing on a card with directions
    ranked = sorted(late, key=lambda r: (-days_late(r), r["record_id"]))
    for n, bill in enumerate(ranked[:40]):
        copy = RecordStore(shutil.copytree(ws.store_dir, scratch / f"store-{n}"))
        before = score_subject(copy, art, bill["subject_id"], as_of)["score"]
        copy.suppress("obligation", [bill["record_id"]], reason="trial", at=dt.datetime.now(dt.UTC))
        after = score_subject(copy, art, bill["subject_id"], as_of)["score"]
        if after != before:
            return bill["subject_id"], bill, before, after
    pytest.fail("No late bill of the demo changes its subject's score when suppressed.")


@pytest.fixture(scope="module")
def site(
    browser: Any, small_demo: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The app over a copy of the small demo, served on a free port (only if a browser can)."""
    root = Path(shutil.copytree(small_demo, tmp_path_factory.mktemp("web") / "ws"))
    ws = Workspace(root)
    subject, record, before, after = _disputable_bill(ws, root.parent)
    # another person with bills (an organisation's file holds invoices instead)
    billed = RecordStore(ws.store_dir).read("obligation").column("subject_id").to_pylist()
    other = next(s for s in sorted(set(billed)) if s != subject)
    ledger = Ledger(f"sqlite:///{root / 'ledger.sqlite'}")
    ledger.upgrade()
    tokens = {
        "subject": create_client(ledger, "subject", subject_id=subject, name="me")[1],
        "lender": create_client(ledger, "lender", ["credit_pricing"], name=LENDER)[1],
        "operator": create_client(ledger, "operator", name="ops desk")[1],
    }
    provider = workspace_provider(root)
    assert provider is not None
    app = create_app(ledger=ledger, provider=provider)

    try:
        with serve(app) as url:
            yield Site(url, root, ledger, tokens, subject, other, record, before, after)
    finally:
        ledger.dispose()


# --- what the pages show, computed here from the API's values -----------------------------------


def _when(text: str) -> str:
    """An API timestamp as the pages write it in English (en-US, through the browser's Intl):
    ``MM/DD/YYYY, HH:MM UTC``, to the minute, on a 24-hour clock."""
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).strftime("%m/%d/%Y, %H:%M UTC")


def _time_left(deadline: str, now: dt.datetime) -> str:
    seconds = (dt.datetime.fromisoformat(deadline) - now).total_seconds()
    days = int(abs(seconds) // 86400)
    unit = "day" if days == 1 else "days"
    if seconds < 0:
        return f"overdue by {days} {unit}"
    return f"{days} {unit} left"


# --- the tests ---------------------------------------------------------------------------------


def test_the_subject_sees_score_reasons_records_and_the_lender_that_looked(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    with site.api("lender") as lender:
        scored = lender.post(
            "/v1/scores", json={"subject_id": site.subject, "purpose": "credit_pricing"}
        )
    assert scored.status_code == 200, scored.text
    tab = new_tab()
    page = tab.page
    page.goto("/")
    assert page.url.endswith("/web/")
    tab.use_token(site.tokens["subject"])  # a subject's token opens their own file: no id typed
    page.locator("#file").wait_for(state="visible")
    assert page.locator("#subject-id").is_hidden()
    expected = site.file()
    current = expected["file"]["current_score"]
    explanation = expected["explanation"]

    assert page.locator("#score-value").inner_text() == str(current["score"])
    assert (explanation["score"], explanation["feature_hash"]) == (
        current["score"], current["feature_hash"])  # fmt: skip
    assert [r["reason_code"] for r in explanation["reasons"]] == [
        r["code"] for r in current["reasons"]
    ]
    # the reasons in plain words, how each clears, and the points between the subject and the best
    items = page.locator("#reason-list > li")
    assert items.count() == len(explanation["reasons"]) > 0
    for item, reason in zip(items.all(), explanation["reasons"], strict=True):
        # the artifact's statement (reason_text with the subject's values): true of them
        assert item.locator("h3").inner_text() == reason["reason"]
        text = item.inner_text()
        assert reason["improve"] in text
        gap = reason["points_to_best"]
        assert f"{gap} point{'' if gap == 1 else 's'} separate you from the best" in text
        assert text.index(reason["reason"]) < text.index(reason["improve"])
        assert f"gives you {reason['points']} of a possible {reason['best_points']}" in text
    # the score with its attainable range, each sub-score with its range
    low, high = explanation["score_range"]["min"], explanation["score_range"]["max"]
    assert (
        f"from {low} (the least any file can get) to {high} (the most)"
        in page.locator("#score-range").inner_text()
    )
    for dim in explanation["dimensions"]:
        assert tab.cells("dimensions", dim["label"]) == [
            dim["label"], str(dim["points"]), str(dim["min_points"]), str(dim["max_points"])
        ]  # fmt: skip
    assert sum(d["points"] for d in explanation["dimensions"]) == current["score"]

    # the records, with their furnisher and dates
    bill = next(
        r for r in expected["file"]["records"]["obligation"]
        if r["record_id"] == site.record["record_id"]
    )  # fmt: skip
    cells = tab.cells("records", bill["record_id"])
    assert cells[:5] == [bill["record_id"], bill["furnisher"], bill["category"], bill["account"],
                         bill["due_date"]]  # fmt: skip
    assert bill["paid_date"] in cells
    assert cells[-2] == "counts"
    n_bills = len(expected["file"]["records"]["obligation"])
    assert page.get_by_role("heading", name=f"Bills ({n_bills})").is_visible()

    # who looked: the lender, by name, and for what
    [look] = [a for a in expected["accesses"] if a["action"] == "score"]
    assert look["client_name"] == LENDER
    cells = tab.cells("accesses", LENDER)
    assert cells == [_when(look["at"]), LENDER, "lender", "pricing a loan (credit_pricing)",
                     "got the score (score)"]  # fmt: skip
    history = [s["snapshot_id"] for s in expected["score_history"]]
    assert scored.json()["snapshot_id"] in history
    assert page.locator("#history tbody tr").count() == len(history)


def test_a_subject_is_shown_the_apis_refusal_of_another_subjects_file(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    with site.api("subject") as api:
        refused = api.get(f"/v1/subjects/{site.other}/file")
    assert refused.status_code == 403
    message = refused.json()["error"]["message"]
    tab = new_tab()
    page = tab.page
    page.goto("/web/")
    tab.use_token(site.tokens["subject"])
    page.locator("#file").wait_for(state="visible")
    page.goto(f"/web/?subject={site.other}")  # a link to another subject's file
    problem = page.get_by_role("alert")
    problem.wait_for(state="visible")
    assert message in problem.inner_text()
    assert "403" in problem.inner_text()
    assert page.locator("#file").is_hidden()  # the subject's own file is not left on screen
    assert page.evaluate("document.activeElement.id") == "problem"  # read out at once


def test_a_bad_token_is_shown_as_the_apis_401_message(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    with httpx.Client(base_url=site.url) as api:
        got = api.get(f"/v1/subjects/{site.subject}/file", headers={"Authorization": "Bearer x.y"})
    assert got.status_code == 401
    tab = new_tab()
    tab.page.goto("/web/")
    tab.use_token("x.y")
    problem = tab.page.get_by_role("alert")
    problem.wait_for(state="visible")
    assert got.json()["error"]["message"] in problem.inner_text()
    assert tab.page.locator("#file").is_hidden()


def test_a_dispute_goes_from_the_subject_to_the_operators_queue_and_back(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    record_id = site.record["record_id"]
    assert site.file()["file"]["current_score"]["score"] == site.score_before
    # two older disputes of another subject: one past its deadline, one due in ten days
    now = dt.datetime.now(dt.UTC)
    first, second = site.bills_of(site.other)[:2]
    overdue = open_dispute(site.ledger, site.other, "obligation", first, "overdue", now - 40 * DAY)
    soon = open_dispute(site.ledger, site.other, "obligation", second, "due soon", now - 20 * DAY)

    subject = new_tab()
    page = subject.page
    page.goto("/web/")
    subject.use_token(site.tokens["subject"])
    page.locator("#file").wait_for(state="visible")
    # the bill's account, folded, opened from the keyboard
    account = page.locator("details.account").filter(has_text=record_id)
    assert account.get_attribute("open") is None
    account.locator(":scope > summary").press("Enter")
    page.get_by_role("button", name=f"Dispute record {record_id}").press("Enter")
    # the form is filled in and the cursor is where the subject says what is wrong
    assert page.evaluate("document.activeElement.id") == "dispute-grounds"
    assert page.get_by_label("Record id").input_value() == record_id
    grounds = "I paid this bill on its due date <b>really</b>"
    page.keyboard.type(grounds)
    page.get_by_role("button", name="Open the dispute").press("Enter")
    # "Opening the dispute…" first, then the answer (slow when the subject's score is computed)
    status = page.get_by_role("status").filter(has_text=re.compile(r"Dispute \S+ is open"))
    status.wait_for()
    with site.api("subject") as api:
        [mine] = api.get("/v1/disputes", params={"status": "open"}).json()
    assert (mine["record_id"], mine["grounds"], mine["status"]) == (record_id, grounds, "open")
    assert f"Dispute {mine['dispute_id']} is open" in status.inner_text()
    assert _when(mine["deadline"]) in status.inner_text()
    cells = subject.cells("disputes", mine["dispute_id"])
    assert grounds in cells  # shown as text: the markup is not interpreted
    assert page.locator("#disputes b").count() == 0
    standing = subject.cells("records", record_id)[-2]
    assert standing == f"disputed: to be resolved by {_when(mine['deadline'])}"

    # the operator's queue: the most urgent first, each with its deadline and time left
    operator = new_tab()
    queue_page = operator.page
    queue_page.goto("/web/operator")
    operator.use_token(site.tokens["operator"])
    queue_page.locator("#queue tbody tr").first.wait_for()
    with site.api("operator") as api:
        queue = api.get("/v1/disputes", params={"status": "open"}).json()
    shown = queue_page.locator("#queue tbody tr th").all_inner_texts()
    by_deadline = sorted(queue, key=lambda d: (d["deadline"], d["opened_at"]))
    assert shown == [d["dispute_id"] for d in by_deadline]
    assert shown[:2] == [overdue.dispute_id, soon.dispute_id]
    seen_at = dt.datetime.now(dt.UTC)
    for d in queue:
        cells = operator.cells("queue", d["dispute_id"])
        assert cells[1:4] == [_when(d["deadline"]), _time_left(d["deadline"], seen_at),
                              _when(d["opened_at"])]  # fmt: skip
    assert operator.cells("queue", overdue.dispute_id)[2] == "overdue by 10 days"

    # resolve it unverifiable, from the keyboard
    queue_page.get_by_role("button", name=f"Resolve dispute {mine['dispute_id']}").press("Enter")
    assert queue_page.evaluate("document.activeElement.id") == "resolve-h"
    assert mine["dispute_id"] in queue_page.locator("#resolve-summary").inner_text()
    # "corrected" without the corrected values: the API refuses, the page says why
    with site.api("operator") as api:
        refusal = api.post(
            f"/v1/disputes/{mine['dispute_id']}/resolution", json={"outcome": "corrected"}
        )
    assert refusal.status_code == 422
    queue_page.get_by_role("radio", name="Corrected").press("Space")
    queue_page.get_by_role("button", name="Resolve the dispute").press("Enter")
    alert = queue_page.get_by_role("alert")
    alert.wait_for()
    assert refusal.json()["error"]["message"] in alert.inner_text()
    assert "422" in alert.inner_text()
    queue_page.get_by_role("radio", name="Unverifiable").press("Space")
    queue_page.get_by_label("Note (shown to the subject)").fill("The furnisher did not answer.")
    queue_page.get_by_role("button", name="Resolve the dispute").press("Enter")
    done = queue_page.get_by_role("status").filter(has_text="resolved")
    done.wait_for()
    with site.api("operator") as api:
        resolved = api.get(f"/v1/disputes/{mine['dispute_id']}").json()
    assert resolved["status"] == "unverifiable"
    assert f"Dispute {mine['dispute_id']} resolved: unverifiable." in done.inner_text()
    assert f"The record bill {record_id} no longer counts." in done.inner_text()
    assert queue_page.locator("#queue tr").filter(has_text=mine["dispute_id"]).count() == 0

    # back on the subject's page: resolved, suppressed, and the new score
    page.reload()  # the token is kept in the tab: the file comes back at once
    page.get_by_role("status").filter(has_text="is shown below").wait_for()
    after = site.file()
    score = after["file"]["current_score"]["score"]
    assert score == site.score_after != site.score_before
    assert page.locator("#score-value").inner_text() == str(score)
    cells = subject.cells("disputes", mine["dispute_id"])
    assert "unverifiable: the record was not confirmed and is suppressed" in cells
    assert "The furnisher did not answer." in cells
    assert _when(resolved["resolved_at"]) in cells
    assert subject.cells("records", record_id)[-2] == "suppressed: no longer counts"
    newest = after["score_history"][-1]  # the rescore, shown first
    first = page.locator("#history tbody tr").first.locator("th, td").all_text_contents()
    assert first[:3] == [_when(newest["created_at"]), newest["as_of"], str(score)]


def test_every_form_field_has_a_label_and_the_keyboard_reaches_the_token_field(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    tab = new_tab()
    page = tab.page
    for path in ("/web/", "/web/operator", "/web/identity"):
        page.goto(path)
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input, select, textarea')]"
            ".filter(e => e.labels.length === 0).map(e => e.id)"
        )
        assert unlabelled == []
        assert page.locator("h1").count() == 1
        assert page.get_by_role("alert").is_hidden()  # no error before anything is asked
        focused = []
        for _ in range(7):  # the skip link, the four pages, the language, the token
            page.keyboard.press("Tab")
            focused.append(
                page.evaluate("document.activeElement.id || document.activeElement.tagName")
            )
        assert "token" in focused, focused


def test_an_unscorable_subject_is_told_why_not_given_a_number(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    import pyarrow.parquet as pq

    statuses = pq.read_table(Workspace(site.root).scores_path).to_pylist()
    unscored = next(r["subject_id"] for r in statuses if r["status"] == "NS")
    _, token = create_client(site.ledger, "subject", subject_id=unscored, name="thin file")
    with httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"}) as api:
        expected = api.get(f"/v1/subjects/{unscored}/file").json()
    assert (expected["file"]["current_score"]["score"], expected["explanation"]["status"]) == (
        None, "NS")  # fmt: skip
    tab = new_tab()
    tab.page.goto(f"/web/?subject={unscored}")
    tab.use_token(token)  # the subject id came with the link: the file opens with the token
    tab.page.locator("#file").wait_for(state="visible")
    assert tab.page.locator("#score-value").inner_text() == "Not scored"
    shown = tab.page.locator("#score-box li").all_inner_texts()
    assert shown == [
        f"{'Met' if c['met'] else 'Not met yet'}: {c['text']}"
        for c in expected["explanation"]["criteria"]
    ]
    assert any(not c["met"] for c in expected["explanation"]["criteria"])
    assert tab.page.locator("#reason-list").count() == 0


def _subject_with_a_way_up(site: Site) -> tuple[str, str, dict[str, Any]]:
    """A scored subject, their token, and a purpose's next tier that has a way there."""
    import pyarrow.parquet as pq

    rows = pq.read_table(Workspace(site.root).scores_path).to_pylist()
    for row in rows:
        if row["status"] != "OK" or row["subject_id"] in (site.subject, site.other):
            continue
        _, token = create_client(site.ledger, "subject", subject_id=row["subject_id"], name="up")
        with httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"}) as api:
            tier = api.get(
                f"/v1/subjects/{row['subject_id']}/next-tier", params={"purpose": "credit_pricing"}
            ).json()
        if tier["path"] is not None:
            return row["subject_id"], token, tier
    pytest.fail("no subject of the demo has a way to their next tier")


def test_the_subject_tries_a_value_and_sees_the_way_to_the_next_tier_and_the_year_ahead(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    subject, token, tier = _subject_with_a_way_up(site)
    with httpx.Client(
        base_url=site.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as me:
        tab = new_tab()
        page = tab.page
        page.goto("/web/")
        tab.use_token(token)
        page.locator("#file").wait_for(state="visible")

        # a what-if: pick a part of the score, type a value, see the score, tiers and reasons
        change = tier["path"]["changes"][0]
        expected = me.post(
            f"/v1/subjects/{subject}/what-if", json={"changes": {change["name"]: change["value"]}}
        ).json()
        page.get_by_label("Part of your score").select_option(change["name"])
        field = page.get_by_label("Value to try")
        field.fill(str(change["value"]))
        field.press("Enter")
        tab.page.get_by_role("status").filter(has_text="your score would be").wait_for()
        assert page.locator("#whatif-score").inner_text() == str(expected["score"])
        assert expected["score"] != expected["current"]["score"]
        tiers = page.locator("#whatif-tiers li").all_inner_texts()
        assert [t.split(": ", 1)[1] for t in tiers] == [
            d["label"] + (" (close to a cut-off: a person reviews it)" if d["review"] else "")
            for d in expected["decisions"]
        ]
        assert page.locator("#whatif-reasons .statement").all_inner_texts() == [
            r["statement"] for r in expected["reasons"]
        ]
        for dim in expected["dimensions"]:
            assert tab.cells("whatif-result", dim["label"]) == [
                dim["label"], str(dim["points"]), str(dim["min_points"]), str(dim["max_points"])
            ]  # fmt: skip
        # a value that is not a number is refused on the page, before any request
        page.get_by_label("Part of your score").select_option(change["name"])
        field.fill("lots")
        field.press("Enter")
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert f"{change['name']} is a number" in alert.inner_text()

        # the way to the next tier of loan pricing, and the changes tried at once
        page.get_by_label("Which decision").select_option("credit_pricing")
        page.get_by_role("button", name="Show the way").press("Enter")
        page.locator("#tier-message").wait_for()
        assert page.locator("#tier-message").inner_text() == tier["message"]
        assert page.locator("#tier-now").inner_text() == (
            f"Now: {tier['band']['label']}, with a score of {tier['score']}."
        )
        shown = page.locator("#tier-changes li").all_inner_texts()
        assert len(shown) == len(tier["path"]["changes"]) + len(tier["path"]["together"])
        for line, c in zip(shown, tier["path"]["changes"], strict=False):
            assert line.startswith(f"{c['name']}: from ")
            assert f"(any value {c['range']}): +{c['points']} point" in line
        page.get_by_role("button", name="Try these changes").press("Enter")
        page.locator("#whatif-score").filter(has_text=str(tier["path"]["score"])).wait_for()
        assert int(page.locator("#whatif-score").inner_text()) >= tier["next"]["min_score"]

        # if nothing new happens: now and 3, 6 and 12 months on, as the API computes it
        later = me.get(f"/v1/subjects/{subject}/projection").json()
        page.get_by_role("button", name="Show my score over the next year").press("Enter")
        rows = page.locator("#projection-result tbody tr")
        rows.first.wait_for()
        assert rows.count() == 1 + len(later["later"])
        for i, p in enumerate([later["current"], *later["later"]]):
            cells = [c.strip() for c in rows.nth(i).locator("th, td").all_inner_texts()]
            shown_score = str(p["score"]) if p["status"] == "OK" else "not scored"
            assert cells[1] == p["as_of"]
            assert cells[2].startswith(shown_score)
        # every call was the subject's own look, in the access log
        with httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"}) as api:
            actions = [
                a["action"] for a in api.get(f"/v1/subjects/{subject}/file").json()["accesses"]
            ]
        assert {"what_if", "next_tier", "projection"} <= set(actions)


# --- human review -------------------------------------------------------------------------------


def test_a_reviewer_finds_a_case_in_the_queue_and_overrides_it_with_a_reason(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    reviewer, token = create_client(site.ledger, "reviewer", name="review desk")
    site.tokens["reviewer"] = token
    with site.api("reviewer") as api:
        queue = api.get("/v1/reviews", params={"state": "pending"}).json()
    assert queue, "the demo opens review cases for the decisions near a cut-off and the NS"
    case = next(c for c in queue if c["kind"] == "near_cutoff")
    other = next(o for o in case["options"]
                 if o["outcome"] != case["proposed_outcome"] and not o["adverse"])  # fmt: skip

    tab = new_tab()
    page = tab.page
    page.goto("/web/reviews")
    tab.use_token(token)
    page.locator("#review-queue tbody tr").first.wait_for()
    shown = page.locator("#review-queue tbody tr th").all_inner_texts()
    assert shown == [c["case_id"] for c in queue]  # the API's order: the nearest deadline first
    cells = tab.cells("review-queue", case["case_id"])
    assert cells[1] == _when(case["deadline"])
    purpose = "pricing a loan (credit_pricing)"
    assert cells[3:7] == ["score near a cut-off", case["subject_id"], purpose, str(case["score"])]
    page.get_by_role("button", name=f"Decide case {case['case_id']}").press("Enter")
    # the page reads the case afresh (a logged look), then puts the cursor on the decision
    page.locator("#review-decide-h:focus").wait_for()
    looks = [a for a in accesses(site.ledger, case["subject_id"]) if a.action == "review"]
    assert [a.client_id for a in looks] == [reviewer.client_id]
    assert page.get_by_label("Final outcome (the policy's bounds)").input_value() == (
        case["proposed_outcome"])  # fmt: skip
    page.get_by_label("Final outcome (the policy's bounds)").select_option(other["outcome"])
    page.get_by_label("Reason").select_option("additional_information")
    page.get_by_label("Note (shown to the subject)").fill("Income verified from payslips.")
    page.get_by_role("button", name="Record the decision").press("Enter")
    done = page.get_by_role("status").filter(has_text="decided")
    done.wait_for()
    with site.api("reviewer") as api:
        decided = api.get(f"/v1/reviews/{case['case_id']}").json()
    assert (decided["state"], decided["final_outcome"], decided["reason"], decided["reviewer"]) == (
        "decided", other["outcome"], "additional_information", reviewer.client_id)  # fmt: skip
    assert decided["note"] == "Income verified from payslips."
    assert f"Case {case['case_id']} decided: {other['label']} ({other['outcome']})" in (
        done.inner_text())  # fmt: skip
    assert page.locator("#review-queue tr").filter(has_text=case["case_id"]).count() == 0


def test_a_subject_asks_for_human_review_and_sees_the_case_on_their_page(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    import pyarrow.parquet as pq

    from trustscore.ledger import review_cases

    ws = Workspace(site.root)
    ok = [r["subject_id"] for r in pq.read_table(ws.scores_path, columns=["subject_id", "status"])
          .to_pylist() if r["status"] == "OK"]  # fmt: skip
    asker = next(s for s in ok if s not in (site.subject, site.other)
                 and not review_cases(site.ledger, subject_id=s))  # fmt: skip
    site.tokens["asker"] = create_client(site.ledger, "subject", subject_id=asker)[1]
    with site.api("lender") as api:
        decided = api.post(
            "/v1/decisions", json={"subject_id": asker, "purpose": "credit_pricing"}
        ).json()
    assert decided["outcome"] != "pending_review"

    tab = new_tab()
    page = tab.page
    page.goto("/web/")
    tab.use_token(site.tokens["asker"])
    page.get_by_role("status").filter(has_text="is shown below").wait_for()
    assert "No decision about you is with a person." in page.locator("#reviews").inner_text()
    choice = page.get_by_label("Decision to review")
    assert choice.input_value() == str(decided["decision_id"])
    statement = "My rent was paid on time; the landlord's report is late. <i>really</i>"
    page.get_by_label("Your point of view").fill(statement)
    page.get_by_label("A document's name (optional)").fill("bank-statement.txt")
    page.get_by_label("The document's text (optional)").fill("2025-11-01 rent paid")
    page.get_by_role("button", name="Request human review").press("Enter")
    status = page.get_by_role("status").filter(has_text="Review case")
    status.wait_for()
    with site.api("asker") as api:
        [case] = api.get("/v1/reviews").json()
    assert (case["kind"], case["state"], case["decision_id"], case["statement"]) == (
        "subject_request", "open", decided["decision_id"], statement)  # fmt: skip
    assert case["documents"] == [{"name": "bank-statement.txt", "text": "2025-11-01 rent paid"}]
    assert f"Review case {case['case_id']} is open" in status.inner_text()
    assert _when(case["deadline"]) in status.inner_text()
    cells = tab.cells("reviews", case["case_id"])
    assert cells[2:6] == ["the subject asked", "open: waiting for a person",
                          _when(case["deadline"]), "not decided yet"]  # fmt: skip
    assert page.locator("#reviews i").count() == 0
    # the request joins the reviewers' queue
    queue = [c.case_id for c in review_cases(site.ledger, "pending")]
    assert case["case_id"] in queue


def test_the_subject_changes_a_consent_on_their_page_and_sees_the_rescored_file(
    site: Site, new_tab: Callable[[], Tab]
) -> None:
    path = f"/v1/subjects/{site.subject}/consents"
    with site.api("subject") as me:
        before = me.get(path).json()
    categories = [c["scope"] for c in before["in_force"] if c["scope_kind"] == "category"]
    # withdraw a consent in force, or grant one where none is: either way the page must say so
    action, scope = ("withdraw", categories[0]) if categories else ("grant", "utility")
    tab = new_tab()
    page = tab.page
    page.goto("/web/")
    tab.use_token(site.tokens["subject"])
    page.locator("#file").wait_for(state="visible")
    in_force = page.locator("#consent-in-force")
    in_force.filter(has_text="now").wait_for()
    for c in categories:
        assert f"all {c} bills" in in_force.inner_text()

    page.get_by_label("Grant or withdraw").select_option(action)
    page.get_by_label("For", exact=True).select_option("category")
    page.locator("#consent-scope").fill(scope)
    page.locator("#consent-form").get_by_role("button").click()
    verb = "withdrawn" if action == "withdraw" else "granted"
    result = page.locator("#consent-result").filter(has_text=f"Consent {verb}")
    result.wait_for()
    assert page.get_by_role("alert").filter(has_text="consent").count() == 0

    with site.api("subject") as me:
        after = me.get(path).json()
        file = me.get(f"/v1/subjects/{site.subject}/file").json()
    assert after["events"][-1]["action"] == action
    assert after["events"][-1]["scope"] == scope
    now = {c["scope"] for c in after["in_force"] if c["scope_kind"] == "category"}
    assert (scope in now) == (action == "grant")
    current = file["file"]["current_score"]
    if current["status"] == "OK":
        assert f"your score is now {current['score']}" in result.inner_text()
