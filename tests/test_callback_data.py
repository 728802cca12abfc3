"""Callback data: round trips, the 64-byte limit, and refusal of anything forged."""

from __future__ import annotations

import random
import string

import pytest

from bot.telegram import callback_data as cb

EPOCH = "0a1b2c"


@pytest.mark.parametrize(
    "action",
    [
        cb.ShowParagraph(EPOCH, 12, 10, 3, 1),
        cb.ShowParagraph(EPOCH, 1, 1, 0, 0),
        cb.ShowParagraph(EPOCH, cb.MAX_ID, cb.MAX_ID, cb.MAX_ID, cb.MAX_RANK),
        cb.ShowMatch(EPOCH, 7, 0),
        cb.ShowMatch(EPOCH, cb.MAX_ID, cb.MAX_RANK),
        cb.SourcesPage(EPOCH, 0),
        cb.SourcesPage(EPOCH, cb.MAX_PAGE),
        cb.Noop(EPOCH),
        cb.Picture(EPOCH, 21, 0),
        cb.Picture(EPOCH, cb.MAX_ID, cb.MAX_ID),
    ],
)
def test_round_trip_within_64_bytes(action: cb.CallbackAction) -> None:
    data = cb.encode(action)
    assert len(data.encode()) <= 64
    assert cb.decode(data) == action


def test_encoding_is_compact_base36() -> None:
    assert cb.encode(cb.ShowParagraph(EPOCH, 36, 35, 0, 2)) == "1:0a1b2c:n:10:z:0:2"
    assert cb.encode(cb.ShowMatch(EPOCH, 1295, 1)) == "1:0a1b2c:m:zz:1"
    assert cb.encode(cb.Picture(EPOCH, 36, 0)) == "1:0a1b2c:i:10:0"


def test_encode_refuses_a_bad_epoch_or_negative_number() -> None:
    with pytest.raises(ValueError):
        cb.encode(cb.Noop("XYZ"))
    with pytest.raises(ValueError):
        cb.encode(cb.SourcesPage(EPOCH, -1))


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "hello",
        "2:0a1b2c:n:1:1:0:0",  # unknown version
        "1:0A1B2C:n:1:1:0:0",  # epoch not lowercase hex
        "1:0a1b2:n:1:1:0:0",  # epoch too short
        "1:0a1b2c:q:1",  # unknown action
        "1:0a1b2c:n:1:1:0",  # too few fields
        "1:0a1b2c:n:1:1:0:0:0",  # too many fields
        "1:0a1b2c:m:-1:0",  # negative
        "1:0a1b2c:m:+1:0",  # sign
        "1:0a1b2c:m:1_0:0",  # int() would accept underscores
        "1:0a1b2c:m: 1:0",  # and whitespace
        "1:0a1b2c:m:01:0",  # leading zero: not what we encode
        "1:0a1b2c:m:A:0",  # upper case digit
        "1:0a1b2c:m:1:rs",  # rank 1000, beyond MAX_RANK
        "1:0a1b2c:s:zzzz",  # page beyond MAX_PAGE
        "1:0a1b2c:n:zzzzzzzzzzz:1:0:0",  # id with 11 digits
        "1:0a1b2c:m:é:0",  # not ASCII
        "1:0a1b2c:x:" + "1" * 60,  # longer than 64 bytes
        "1:0a1b2c:x:",  # trailing empty field
        "1:0a1b2c:i:1",  # a picture without its query
        "1:0a1b2c:i:1:0:0",  # or with a field too many
        "1:0a1b2c:i::0",  # an empty paragraph id
        "1:0a1b2c:i:1:zzzzzzzzzzz",  # a query id with 11 digits
    ],
)
def test_forged_or_garbage_data_is_refused(data: str | None) -> None:
    with pytest.raises(cb.CallbackDataError):
        cb.decode(data)


def test_random_garbage_never_raises_anything_else() -> None:
    rng = random.Random(20240301)
    alphabet = string.ascii_letters + string.digits + ":_-+ é\x00"
    accepted = 0
    for _ in range(5000):
        if rng.random() < 0.5:  # mutate valid data, the likeliest forgery
            chars = list(cb.encode(cb.ShowParagraph(EPOCH, rng.randrange(10**6), 5, 2, 1)))
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            data = "".join(chars)
        else:
            data = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        try:
            action = cb.decode(data)
        except cb.CallbackDataError:
            continue
        accepted += 1
        assert cb.encode(action) == data  # anything accepted is exactly what we would send
    assert accepted > 0


@pytest.mark.parametrize("data", ["1:abcdef:s:5\n", "1:abcdef\n:x", "1:abcdef:m:5:0\n"])
def test_a_trailing_newline_is_not_accepted(data: str) -> None:
    with pytest.raises(cb.CallbackDataError):
        cb.decode(data)
