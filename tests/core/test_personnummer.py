"""Personnummer: every written form, samordningsnummer, check digit, century, pseudonyms, key."""

import numpy as np
import pandas as pd
import pytest

from pipeline.core import personnummer as p
from pipeline.core.errors import ConfigError


def test_forms_of_the_same_number_normalise_alike():
    forms = pd.Series(["811218-9876", "8112189876", "19811218-9876", "198112189876", " 811218-9876 "])
    parsed = p.parse_personnummer(forms, 2022)
    assert parsed["problem"].isna().all()
    assert set(parsed["normalised"]) == {"198112189876"}


def test_century_from_reference_year_and_plus_sign():
    parsed = p.parse_personnummer(pd.Series(["121212-1212", "121212+1212", "19121212-1212"]), 2022)
    assert parsed["normalised"].tolist() == ["201212121212", "191212121212", "191212121212"]


def test_samordningsnummer_is_valid_and_flagged():
    nine = np.array([[8, 1, 1, 2, 7, 8, 9, 8, 7]])  # 811278-987?: day 18 + 60
    check = int(p.luhn_check_digit(nine)[0])
    parsed = p.parse_personnummer(pd.Series([f"811278-987{check}"]), 2022)
    assert parsed["problem"].isna().all() and parsed["samordningsnummer"].all()


@pytest.mark.parametrize("value, problem", [
    ("811218-9875", p.BAD_CHECKSUM), ("811318-9876", p.BAD_DATE), ("811232-9876", p.BAD_DATE),
    ("81121-89876", p.BAD_FORMAT), ("", p.BAD_FORMAT), ("abcdefghij", p.BAD_FORMAT),
])
def test_problems_are_named(value, problem):
    assert p.parse_personnummer(pd.Series([value]), 2022)["problem"].iloc[0] == problem


def test_generated_numbers_are_valid_and_distinct():
    rng = np.random.default_rng(1)
    numbers = p.generate_personnummer(np.repeat(np.arange(1960, 1965), 2000), rng, coordination_share=0.1)
    parsed = p.parse_personnummer(pd.Series(numbers), 2022)
    assert parsed["problem"].isna().all() and len(set(numbers)) == len(numbers)
    assert 0.05 < parsed["samordningsnummer"].mean() < 0.15


def test_pseudonyms_are_keyed_and_stable():
    values = pd.Series(["198112189876", "198112189876", pd.NA], dtype="string")
    a = p.pseudonymise(values, b"a" * 32)
    assert a.iloc[0] == a.iloc[1] and pd.isna(a.iloc[2]) and len(a.iloc[0]) == 32
    assert "198112189876" not in a.iloc[0]
    assert p.pseudonymise(values, b"b" * 32).iloc[0] != a.iloc[0]


RANDOM = "3f9a1c7e52b04d8896e1a0c4f7d2b3e50a6c9e1f4b7d2a8c5e3f6b9d1c4a7e20"


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv(p.KEY_ENV, RANDOM)
    assert p.load_key() == bytes.fromhex(RANDOM)
    assert len(p.fingerprint(bytes.fromhex(RANDOM))) == 16 and RANDOM[:16] not in p.fingerprint(bytes.fromhex(RANDOM))


BAD_KEYS = [
    ("xyz", "hexadecimal"), ("", "0 bytes"), ("00", "1 bytes"), (RANDOM[:40], "20 bytes"),
    ("00" * 32, "not random"), ("ab" * 32, "not random"), ("0123456789abcdef" * 4, "not random"),
]


@pytest.mark.parametrize("value, words", BAD_KEYS)
def test_empty_short_or_low_entropy_key_stops(monkeypatch, value, words):
    monkeypatch.setenv(p.KEY_ENV, value)
    with pytest.raises(ConfigError, match=words) as err:
        p.load_key()
    assert "finsam key init" in str(err.value)


_RANDOM16 = bytes.fromhex(RANDOM)[:16]


GUESSABLE_KEYS = [
    (bytes(range(32)), "a sequence"),  # the guessable key: 0, 1, …, 31
    (bytes(range(31, -1, -1)), "a sequence"),
    (bytes(range(0, 224, 7)), "a sequence"),  # 0, 7, 14, …: distinct bytes, one step
    (bytes(range(100, 164)), "a sequence"),  # 64 bytes, still a sequence
    (_RANDOM16 * 2, "not random"),  # a random block repeated
    (bytes.fromhex(RANDOM)[:24] + bytes(range(40, 48)), "a run of 8 bytes in one constant step"),
    (bytes.fromhex(RANDOM)[:24] + b"\x00" * 8, "a run of 8 bytes"),
    (b"correct horse battery staple 42!", "printable text"),
    (b"Finsam-nyckel: Hemligt 2024 #1xQ", "printable text"),
    ((b"ab7Q" + bytes([200, 17, 93, 4])) * 5, "not random"),
]


@pytest.mark.parametrize("key, words", GUESSABLE_KEYS)
def test_guessable_keys_are_refused_with_the_rule_they_break(monkeypatch, key, words):
    monkeypatch.setenv(p.KEY_ENV, key.hex())
    with pytest.raises(ConfigError, match=words) as err:
        p.load_key()
    assert "finsam key init" in str(err.value) and key.hex() not in str(err.value)


def test_random_keys_pass_every_rule():
    import secrets

    assert p.key_weakness(p.DEMO_KEY) is None
    refused = [k for k in (secrets.token_bytes(n) for n in [32] * 3000 + [48, 64] * 200) if p.key_weakness(k)]
    assert refused == []


@pytest.mark.parametrize("code, words", [(30, "Read-only file system; the file system is read-only"),
                                         (13, "Permission denied; no permission to write there"),
                                         (28, "No space left on device; the disk is full")])
def test_key_init_to_a_place_it_cannot_write_is_one_line(tmp_path, monkeypatch, capsys, code, words):
    """`finsam key init` to a read-only place, a folder without permission, a full disk: one line naming
    the file and the cause, exit code 2, no key left behind (faults injected: the tests run as root)."""
    import errno
    import os

    from pipeline.cli import main

    real_open = os.open
    target = tmp_path / "ro" / "pseudonym.key"

    def refuse(path, flags, *args, **kwargs):
        if "pseudonym.key" in str(path) and flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert code in (errno.EROFS, errno.EACCES, errno.ENOSPC)
    assert main(["key", "init", "--path", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(target) in err[0] and "cannot write the key" in err[0] and words in err[0], err
    assert not target.exists() and not list(target.parent.glob(".pseudonym.key.*"))
    monkeypatch.setattr(os, "open", real_open)
    assert main(["key", "init", "--path", str(target)]) == 0
    assert p.key_weakness(bytes.fromhex(target.read_text(encoding="ascii"))) is None  # what key init makes passes


def test_pseudonyms_are_hmac_sha256_of_the_normalised_number():
    """The vectorised HMAC gives hmac.new's digest for every value, keeps NA and the index (row order)."""
    import hashlib
    import hmac

    rng = np.random.default_rng(7)
    numbers = p.generate_personnummer(rng.integers(1930, 2010, 5000), rng)
    values = pd.Series(list(numbers) + [pd.NA], dtype="string", index=np.arange(5001) * 3 + 1)
    for key in (bytes(range(32)), bytes(range(100))):  # a key longer than SHA-256's block is hashed first
        got = p.pseudonymise(values, key)
        assert got.index.equals(values.index) and pd.isna(got.iloc[-1])
        assert list(got.iloc[:-1]) == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in numbers]
