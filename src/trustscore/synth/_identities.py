"""Identities for the synthetic population, with the noise real furnisher files carry.

:func:`add_identities` reads the furnisher files :func:`trustscore.synth.generate` wrote and
writes, under ``<out_dir>/identified/``, the same records *without* ``subject_id`` and with
identity fields instead, as a bank, a landlord or a court would send them, and ``truth.parquet``
(``record_kind, record_id, subject_id``) kept apart for measurement.

Each subject has one true identity: a person a given and a family name (family names drawn from
a few dozen with a steep frequency curve, so common names are common), a birth date, a valid
GB 11643 resident identity number, an address, postcode and city; an organisation a name, a valid
GB 32100 credit code and an address. Twins (same family name, birth date and address, other given
name and ID), a junior and senior of one name at one address, and households sharing an address
are made on purpose. Each furnisher account keeps its own spelling of the identity, with noise:
a typo in a name, day and month of the birth date transposed, an old address after a move, a
family name changed on marriage, fields left out. A national ID is sent by some furnishers only
(most lenders, some courts, few utilities).

Examples
--------
>>> import tempfile
>>> from trustscore.synth import generate
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = generate(tmp, n_subjects=50, seed=2)
...     out = add_identities(tmp, seed=2)
...     import pyarrow.parquet as pq
...     t = pq.read_table(out["obligation"])
>>> "subject_id" in t.column_names, "family_name" in t.column_names
(False, True)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from trustscore.records._identity import IDENTITY_FIELDS
from trustscore.records._identity_codes import (
    USCC_ALPHABET,
    resident_id_check_char,
    uscc_check_char,
)

__all__ = ["IDENTIFIED_KINDS", "add_identities"]

IDENTIFIED_KINDS: Final = ("obligation", "tradeline", "public_record", "inquiry")

_FAMILY: Final = [
    "wang",
    "li",
    "zhang",
    "liu",
    "chen",
    "yang",
    "huang",
    "zhao",
    "wu",
    "zhou",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "he",
    "gao",
    "lin",
    "luo",
    "zheng",
    "liang",
    "xie",
    "song",
    "tang",
    "han",
    "feng",
    "deng",
    "cao",
    "peng",
    "zeng",
    "xiao",
    "tian",
    "dong",
    "yuan",
    "pan",
    "cai",
    "jiang",
    "yu",
    "du",
    "ye",
    "cheng",
    "wei",
    "su",
    "lu",
    "ding",
    "ren",
    "shen",
    "yao",
]
_GIVEN: Final = [
    "wei",
    "fang",
    "na",
    "min",
    "jing",
    "li",
    "qiang",
    "lei",
    "jun",
    "yang",
    "yong",
    "yan",
    "jie",
    "juan",
    "tao",
    "ming",
    "chao",
    "xiu",
    "xia",
    "ping",
    "gang",
    "gui",
    "hua",
    "hui",
    "lan",
    "long",
    "mei",
    "ning",
    "peng",
    "qing",
    "rong",
    "shan",
    "ting",
    "xin",
    "xue",
    "ying",
    "yu",
    "yun",
    "zhen",
    "zhi",
    "bo",
    "chen",
    "dan",
    "fei",
    "hong",
    "jian",
    "kai",
    "lin",
    "mo",
    "nan",
    "rui",
    "shu",
    "song",
    "wen",
    "xiang",
    "yi",
    "zhong",
    "an",
    "bin",
    "cheng",
    "di",
]
_STREETS: Final = [
    "renmin",
    "jiefang",
    "zhongshan",
    "jianshe",
    "xinhua",
    "heping",
    "dongfeng",
    "yingbin",
    "wenhua",
    "changjiang",
    "huanghe",
    "beijing",
    "nanjing",
    "qingnian",
    "gongye",
    "xingfu",
    "chaoyang",
    "hongqi",
]
_CITIES: Final = [
    "shanghai",
    "beijing",
    "chengdu",
    "wuhan",
    "xian",
    "hangzhou",
    "nanjing",
    "tianjin",
]
_ORG_WORDS: Final = [
    "hua",
    "xin",
    "tong",
    "da",
    "hong",
    "sheng",
    "kang",
    "tai",
    "feng",
    "ming",
    "yuan",
    "jin",
]
_ORG_KINDS: Final = ("trading", "technology", "logistics", "foods", "construction", "textiles")
_REGIONS: Final = ("310101", "110105", "510104", "420102", "610103", "330102", "320102", "120101")

#: Noise rates per furnisher account.
NAME_TYPO: Final = 0.03
DATE_TRANSPOSED: Final = 0.02
MOVED: Final = 0.15  # subjects with an old address that some furnishers still use
MARRIED: Final = 0.05  # subjects whose family name changed, for some furnishers
TWIN: Final = 0.01
JUNIOR: Final = 0.01
HOUSEHOLD: Final = 0.2  # subjects sharing the address of another subject
#: Chance a furnisher account carries the national ID or registration code, by kind.
ID_SHARE: Final = {"obligation": 0.3, "tradeline": 0.9, "public_record": 0.6, "inquiry": 0.5}


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 3:
        return text + "a"
    i = int(rng.integers(1, len(text)))
    if rng.random() < 0.5:
        return text[:i] + text[i + 1 :]
    return text[:i] + "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(26))] + text[i + 1 :]


def _resident_id(rng: np.random.Generator, born: dt.date, issued: set[str]) -> str:
    # a national ID is unique: draw the sequence number again if it was issued already
    while True:
        region = _REGIONS[int(rng.integers(len(_REGIONS)))]
        body = f"{region}{born:%Y%m%d}{int(rng.integers(1000)):03d}"
        if body not in issued:
            issued.add(body)
            return body + resident_id_check_char(body)


def _uscc(rng: np.random.Generator) -> str:
    body = "91" + "".join(str(int(d)) for d in rng.integers(0, 10, 6))
    body += "".join(USCC_ALPHABET[int(i)] for i in rng.integers(0, 31, 9))
    return body + uscc_check_char(body)


def _address(rng: np.random.Generator) -> tuple[str, str, str]:
    street = _STREETS[int(rng.integers(len(_STREETS)))]
    city = int(rng.integers(len(_CITIES)))
    number = int(rng.integers(1, 400))
    flat = int(rng.integers(1, 30))
    postcode = f"{city + 1}{int(rng.integers(0, 100_000)):05d}"
    return f"{number} {street} road flat {flat}", postcode, _CITIES[city]


def _true_identities(
    rng: np.random.Generator, subjects: pa.Table
) -> dict[str, dict[str, str | None]]:
    ids = subjects.column("subject_id").to_pylist()
    kinds = subjects.column("kind").to_pylist()
    zipf = 1.0 / np.arange(1, len(_FAMILY) + 1) ** 1.1
    zipf /= zipf.sum()
    out: dict[str, dict[str, str | None]] = {}
    people: list[str] = []
    issued: set[str] = set()
    for sid, kind in zip(ids, kinds, strict=True):
        address, postcode, city = _address(rng)
        if kind == "organisation":
            name = " ".join(rng.choice(_ORG_WORDS, 2)) + f" {rng.choice(_ORG_KINDS)} co ltd"
            out[sid] = {"org_name": name, "registration_code": _uscc(rng), "address": address,
                        "postcode": postcode, "city": city}  # fmt: skip
            continue
        born = dt.date(1940, 1, 1) + dt.timedelta(days=int(rng.integers(0, 65 * 365)))
        out[sid] = {
            "given_name": str(rng.choice(_GIVEN)) + str(rng.choice(["", *_GIVEN[:10]])),
            "family_name": str(rng.choice(_FAMILY, p=zipf)),
            "birth_date": born.isoformat(),
            "national_id": _resident_id(rng, born, issued),
            "address": address, "postcode": postcode, "city": city,
        }  # fmt: skip
        people.append(sid)
    # the hard cases: twins, a junior and senior of one name, households at one address
    for i in range(1, len(people)):
        this, prev = out[people[i]], out[people[i - 1]]
        u = rng.random()
        if u < TWIN:
            born = dt.date.fromisoformat(str(prev["birth_date"]))
            this.update(family_name=prev["family_name"], birth_date=prev["birth_date"],
                        national_id=_resident_id(rng, born, issued), address=prev["address"],
                        postcode=prev["postcode"], city=prev["city"])  # fmt: skip
        elif u < TWIN + JUNIOR:
            born = dt.date.fromisoformat(str(prev["birth_date"]))
            junior = born + dt.timedelta(days=int(rng.integers(25 * 365, 35 * 365)))
            if junior < dt.date(2007, 1, 1):
                junior_id = _resident_id(rng, junior, issued)
                this.update(given_name=prev["given_name"], family_name=prev["family_name"],
                            birth_date=junior.isoformat(), national_id=junior_id,
                            address=prev["address"], postcode=prev["postcode"],
                            city=prev["city"])  # fmt: skip
        elif u < TWIN + JUNIOR + HOUSEHOLD:
            this.update(address=prev["address"], postcode=prev["postcode"], city=prev["city"])
    return out


def _spelling(
    rng: np.random.Generator, kind: str, true: dict[str, str | None], moved: dict[str, str | None]
) -> dict[str, str | None]:
    row: dict[str, str | None] = dict.fromkeys(IDENTITY_FIELDS)
    row.update(true)
    if moved and rng.random() < 0.5:
        row.update(moved)
    if row.get("given_name") is not None:
        if rng.random() < NAME_TYPO:
            row["given_name"] = _typo(rng, str(row["given_name"]))
        if rng.random() < NAME_TYPO:
            row["family_name"] = _typo(rng, str(row["family_name"]))
        born = str(row["birth_date"])
        if rng.random() < DATE_TRANSPOSED and int(born[8:10]) <= 12:
            row["birth_date"] = f"{born[:5]}{born[8:10]}-{born[5:7]}"
        if kind == "obligation" and rng.random() < 0.3:
            row["birth_date"] = None
        if rng.random() < 0.2:
            row["full_name"] = f"{row['given_name']} {row['family_name']}"
            row["given_name"] = row["family_name"] = None
    key = "national_id" if row.get("national_id") else "registration_code"
    if kind != "public_record" and rng.random() >= ID_SHARE[kind]:
        row[key] = None
    if kind == "public_record" and key == "national_id" and rng.random() >= ID_SHARE[kind]:
        row[key] = None  # the floor then rests on the birth date
    if kind != "public_record" and rng.random() < 0.1:
        row["city"] = None
    return row


def add_identities(out_dir: str | os.PathLike[str], *, seed: int = 0) -> dict[str, Path]:
    """Write identity-carrying furnisher files and the truth beside a generated population.

    Returns the paths written, by kind, plus ``truth``.
    """
    src = Path(out_dir)
    dest = src / "identified"
    dest.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 0x1D])
    true = _true_identities(rng, pq.read_table(src / "subject.parquet"))
    moved: dict[str, dict[str, str | None]] = {}
    married: set[str] = set()
    for sid in sorted(true):
        if rng.random() < MOVED:
            address, postcode, city = _address(rng)
            moved[sid] = {"address": address, "postcode": postcode, "city": city}
        if true[sid].get("family_name") and rng.random() < MARRIED:
            married.add(sid)
    paths: dict[str, Path] = {}
    truth: dict[str, list[str]] = {"record_kind": [], "record_id": [], "subject_id": []}
    for kind in IDENTIFIED_KINDS:
        table = pq.read_table(src / f"{kind}.parquet")
        account = "account" if "account" in table.column_names else "furnisher"
        subjects = table.column("subject_id").to_pylist()
        groups = table.column(account).to_pylist()
        spellings: dict[tuple[str, str], dict[str, str | None]] = {}
        columns: dict[str, list[str | None]] = {f: [] for f in IDENTITY_FIELDS}
        for sid, group in zip(subjects, groups, strict=True):
            spelling = spellings.get((sid, group))
            if spelling is None:
                base = dict(true[sid])
                if sid in married and rng.random() < 0.5:
                    base["family_name"] = str(rng.choice(_FAMILY))
                spelling = _spelling(rng, kind, base, moved.get(sid, {}))
                spellings[(sid, group)] = spelling
            for f in IDENTITY_FIELDS:
                columns[f].append(spelling[f])
        truth["record_kind"] += [kind] * table.num_rows
        truth["record_id"] += table.column("record_id").to_pylist()
        truth["subject_id"] += subjects
        out = table.drop_columns(["subject_id"])
        for f in IDENTITY_FIELDS:
            out = out.append_column(f, pa.array(columns[f], pa.string()))
        paths[kind] = dest / f"{kind}.parquet"
        pq.write_table(out, paths[kind])
    paths["truth"] = src / "truth.parquet"
    pq.write_table(
        pa.table({k: pa.array(v, pa.string()) for k, v in truth.items()}), paths["truth"]
    )
    return paths
